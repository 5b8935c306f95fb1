/**
 * The published alerts as an Atom 1.0 feed (RFC 4287), for feed readers at
 * the border posts. Every text goes through `xmlText`, which escapes markup
 * and drops the characters XML 1.0 cannot carry at all, so any alert text
 * gives a well-formed document. Entries come in the order given (the service
 * answers newest first, ties by id), so the same alerts give the same bytes.
 */
import type { Alert } from '@exemplar/specimens-schema';

export interface AtomFeedOptions {
  /** Absolute origin of the web app, e.g. `https://exemplar.lab.example` (no trailing slash). */
  origin: string;
  /** Stable identity of this lab's feed. */
  feedId: string;
  title: string;
  /** The feed's last significant change (latest publication or withdrawal); the epoch when there never was one. */
  updated: string | undefined;
}

export const ATOM_CONTENT_TYPE = 'application/atom+xml; charset=utf-8';
const EPOCH = '1970-01-01T00:00:00.000Z';

// Characters outside XML 1.0's Char production (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlText(value: string): string {
  return value
    .replace(NOT_XML_CHAR, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export const alertEntryId = (id: string) => `urn:exemplar:alert:${id}`;

function entryContent(alert: Alert): string {
  const affected = [alert.affected.issuingState, alert.affected.documentCategory, alert.affected.documentCode, alert.affected.series]
    .filter(Boolean)
    .join(' · ');
  const lines = [`Severity: ${alert.severity}`, `Affected: ${affected}`, '', alert.summary, '', 'What to check:'];
  alert.checks.forEach((c, i) => lines.push(`${i + 1}. ${c.text}`));
  return lines.join('\n');
}

export function alertsAtomFeed(alerts: readonly Alert[], options: AtomFeedOptions): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xmlText(options.feedId)}</id>`,
    `  <title>${xmlText(options.title)}</title>`,
    `  <updated>${options.updated ?? EPOCH}</updated>`,
    `  <author><name>${xmlText(options.title)}</name></author>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlText(`${options.origin}/api/alerts/feed.atom`)}"/>`,
    `  <link rel="alternate" type="text/html" href="${xmlText(`${options.origin}/alerts`)}"/>`,
  ];
  for (const alert of alerts) {
    const updated = alert.publishedAt ?? alert.updatedAt;
    out.push(
      '  <entry>',
      `    <id>${alertEntryId(alert.id)}</id>`,
      `    <title type="text">${xmlText(alert.title)}</title>`,
      `    <updated>${updated}</updated>`,
      `    <published>${updated}</published>`,
      `    <author><name>${xmlText(alert.draftedBy)}</name></author>`,
      `    <link rel="alternate" type="text/html" href="${xmlText(`${options.origin}/alerts/${alert.id}`)}"/>`,
      `    <category term="${xmlText(alert.severity)}" label="severity"/>`,
      `    <summary type="text">${xmlText(alert.summary)}</summary>`,
      `    <content type="text">${xmlText(entryContent(alert))}</content>`,
      '  </entry>',
    );
  }
  out.push('</feed>', '');
  return out.join('\n');
}
