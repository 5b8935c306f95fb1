/**
 * `exemplar exchange …`: signed specimen packages between labs.
 *
 *   exchange key [--json]                          this lab's public key and fingerprint
 *   exchange export (--specimen ID… | --query k=v…) --out PKG.zip [--key KEYFILE] [--no-imitated] [--json]
 *   exchange import PKG.zip [--dry-run] [--on-conflict skip|new-id] [--json]
 *   exchange partners add NAME PUBKEY.pem | list [--json] | revoke ID
 *
 * The commands run as the operator at the console (a system actor) through
 * ExchangeService, so the checks are those of the API.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { PartnerKey } from '@exemplar/specimens-schema';
import { openContext } from '../context';
import type { ImportReport, OnConflict } from '../services/exchange.service';
import type { SpecimenQuery } from '../stores/catalog.port';
import { CliExit, type CliIo } from './output';
import { CLI_ACTOR, cliConfig, withCliContext } from './with-context';

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** Filters of GET /api/specimens that take lists; the others are single values. */
const LIST_FILTERS = new Set(['issuingState', 'documentCategory', 'documentCode', 'status', 'forgeryMethod', 'featureType', 'lightSource', 'classification', 'tags']);
const SCALAR_FILTERS = new Set(['q', 'imitates']);
const YEAR_FILTERS = new Set(['yearFrom', 'yearTo']);

function parseQuery(pairs: string[]): NonNullable<SpecimenQuery> {
  const query: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--query takes key=value (got ${JSON.stringify(pair)})`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (LIST_FILTERS.has(key)) query[key] = [...((query[key] as string[] | undefined) ?? []), ...value.split(',').filter(Boolean)];
    else if (SCALAR_FILTERS.has(key)) query[key] = value;
    else if (YEAR_FILTERS.has(key) && /^\d{4}$/.test(value)) query[key] = Number(value);
    else throw new InvalidArgumentError(`--query: unknown or malformed filter ${key} (filters: ${[...LIST_FILTERS, ...SCALAR_FILTERS, ...YEAR_FILTERS].join(', ')})`);
  }
  return query as SpecimenQuery;
}

export function formatImportReport(r: ImportReport): string {
  const lines = [
    `${r.dryRun ? 'Dry run: would import' : 'Imported'} ${r.imported.length}, skipped ${r.skipped.length}, conflicts ${r.conflicts.length}, errors ${r.errors.length}`,
    `  signed by ${r.signer.name} (lab ${r.signer.labId}, key ${r.signer.fingerprint}), package made ${r.createdAt}`,
  ];
  for (const i of r.imported) lines.push(`  imported  ${i.sourceId}${i.id && i.id !== i.sourceId ? ` as ${i.id}` : ''} (${i.captures} capture(s), ${i.images} image(s))`);
  for (const s of r.skipped) lines.push(`  skipped   ${s.id}: ${s.reason}`);
  for (const c of r.conflicts) lines.push(`  conflict  ${c.id}: ${c.reason}${c.newId ? ` → ${c.newId}` : ''}`);
  for (const e of r.errors) lines.push(`  error     ${e.id}: ${e.code}: ${e.message}`);
  return lines.join('\n') + '\n';
}

function formatPartner(p: PartnerKey): string {
  return `${p.id}  ${p.revoked ? 'REVOKED ' : ''}${p.name}  ${p.fingerprint}  added ${p.addedAt} by ${p.addedBy}${p.revokedAt ? `, revoked ${p.revokedAt} by ${p.revokedBy ?? '?'}` : ''}`;
}

export function registerExchangeCommand(program: Command, io: CliIo): void {
  const exchange = program.command('exchange').description('signed specimen packages between labs, and the partner keys trusted to sign them');

  exchange
    .command('key')
    .description("print this lab's public key (PEM) and fingerprint; the key pair is created on first use")
    .option('--json', 'print { labId, publicKey, fingerprint } as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const key = await withCliContext(cmd, (ctx) => ctx.services.exchange.publicKey(CLI_ACTOR));
      io.stdout.write(opts.json ? JSON.stringify(key, null, 2) + '\n' : `${key.publicKey.trimEnd()}\nlab: ${key.labId}\nfingerprint: ${key.fingerprint}\n`);
    });

  exchange
    .command('export')
    .description('write a signed package (zip) of specimens, their records and byte-exact originals')
    .option('--specimen <ids...>', 'specimen ids (repeat or comma-separate)', (v: string, prev: string[] = []) => collect(v, prev))
    .option('--query <key=value...>', 'filters as in GET /api/specimens, e.g. status=counterfeit issuingState=UTO')
    .requiredOption('--out <file>', 'the package to write (replaced atomically when complete)')
    .option('--key <file>', 'the lab private key to sign with (default: EXEMPLAR_LAB_KEY_FILE)')
    .option('--no-imitated', 'do not add the specimens that exported specimens imitate')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { specimen?: string[]; query?: string[]; out: string; key?: string; imitated?: boolean; json?: boolean }, cmd: Command) => {
      if (!opts.specimen?.length && !opts.query?.length) throw new InvalidArgumentError('give --specimen ID… or --query key=value…');
      const query = opts.query?.length ? parseQuery(opts.query) : undefined;
      const config = cliConfig(cmd);
      const keyFile = opts.key ? path.resolve(opts.key) : config.exchange.keyFile;
      if (opts.key) await fs.access(keyFile); // an explicit key must exist: never create one at a mistyped path
      const ctx = await openContext(cliConfig(cmd, { ...process.env, EXEMPLAR_LAB_KEY_FILE: keyFile }));
      let summary;
      try {
        summary = await ctx.services.exchange.exportPackage(
          { ...(opts.specimen?.length ? { specimenIds: opts.specimen } : { query }), withImitated: opts.imitated !== false },
          path.resolve(opts.out),
          CLI_ACTOR,
        );
      } finally {
        await ctx.close();
      }
      io.stdout.write(
        opts.json
          ? JSON.stringify(summary, null, 2) + '\n'
          : `Exported ${summary.specimens} specimen(s), ${summary.originals} original(s), ${summary.bytes} bytes to ${summary.path}\n  manifest sha256 ${summary.manifestSha256}\n`,
      );
    });

  exchange
    .command('import')
    .description("import a partner lab's signed package: signer, signature and every hash are checked before anything is written")
    .argument('<package>', 'the package (zip)')
    .option('--dry-run', 'verify and check everything, write nothing')
    .addOption(new Option('--on-conflict <mode>', 'a specimen id the library holds with other content: report it (skip) or import under a new id').choices(['skip', 'new-id']).default('skip'))
    .option('--json', 'print the report as JSON')
    .action(async (pkg: string, opts: { dryRun?: boolean; onConflict: OnConflict; json?: boolean }, cmd: Command) => {
      const report = await withCliContext(cmd, (ctx) =>
        ctx.services.exchange.importPackage(path.resolve(pkg), { dryRun: Boolean(opts.dryRun), onConflict: opts.onConflict }, CLI_ACTOR),
      );
      io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatImportReport(report));
      if (report.errors.length || report.conflicts.some((c) => !c.newId)) throw new CliExit(1);
    });

  const partners = exchange.command('partners').description('trusted partner keys');
  partners
    .command('add')
    .description("trust a partner lab's public key (compare the printed fingerprint with theirs)")
    .argument('<name>', "the partner lab's name")
    .argument('<public-key-file>', 'their public key, PEM (from `exemplar exchange key` at their lab)')
    .option('--json', 'print the partner record as JSON')
    .action(async (name: string, file: string, opts: { json?: boolean }, cmd: Command) => {
      const publicKey = await fs.readFile(path.resolve(file), 'utf8');
      const partner = await withCliContext(cmd, (ctx) => ctx.services.exchange.addPartner({ name, publicKey }, CLI_ACTOR));
      io.stdout.write(opts.json ? JSON.stringify(partner, null, 2) + '\n' : `Added ${formatPartner(partner)}\n`);
    });
  partners
    .command('list')
    .description('list partner keys (revoked ones included)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const items = await withCliContext(cmd, (ctx) => ctx.services.exchange.listPartners(CLI_ACTOR));
      io.stdout.write(opts.json ? JSON.stringify(items, null, 2) + '\n' : items.length ? items.map(formatPartner).join('\n') + '\n' : 'No partner keys.\n');
    });
  partners
    .command('revoke')
    .description('stop trusting a partner key (by id or fingerprint); it stays listed')
    .argument('<id>', 'partner key id or fingerprint')
    .option('--json', 'print the partner record as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const partner = await withCliContext(cmd, (ctx) => ctx.services.exchange.revokePartner(id, CLI_ACTOR));
      io.stdout.write(opts.json ? JSON.stringify(partner, null, 2) + '\n' : `Revoked ${formatPartner(partner)}\n`);
    });
}
