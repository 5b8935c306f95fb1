/**
 * Exchange between labs: signed packages of specimens out, verified packages
 * in, and the partner keys an administrator trusts.
 *
 * Import is all-or-nothing twice over: the whole package is authenticated
 * and every original checked (exchange/package.ts) before anything is
 * written; then each specimen goes through the same path as `exemplar
 * import` (createSpecimenWithCaptures: the ingest service, originals
 * de-duplicated by SHA-256, a failed specimen removed again with the objects
 * only it used). A specimen whose id the library already holds is skipped
 * when its content is the same, and reported as a conflict when it differs —
 * imported under a new id only when asked (`onConflict: 'new-id'`).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { validate, type PartnerKey, type Specimen } from '@exemplar/specimens-schema';
import { assertCan, READ_LAB_KEY } from '../auth/policy';
import { selectSpecimens, type ExportOptions } from '../cli/export';
import { importPlan } from '../cli/import';
import { planFromJson } from '../cli/manifest';
import type { AppContext } from '../context';
import { ExemplarError, notFound } from '../errors';
import { canonicalJson } from '../exhibits/chain';
import { keyFingerprint, loadOrCreateLabKey, parsePublicKeyPem, type LabKey } from '../exchange/lab-key';
import { exchangeSpecimen, readExchangePackage, writeExchangePackage, type ExchangeSpecimen, type WrittenPackage } from '../exchange/package';
import type { RecordCollection, StoredRecord } from '../stores/records.port';
import type { Actor } from './actor';
import type { AuditRecorder } from './alerts.service';
import { newRecordId, timestamp, valueOrThrow } from './common';

export const PARTNER_KEYS_COLLECTION = 'partner-keys';
export const EXCHANGE_IMPORTS_COLLECTION = 'exchange-imports';

export type OnConflict = 'skip' | 'new-id';

export interface ImportPackageOptions {
  dryRun?: boolean;
  onConflict?: OnConflict;
}

export interface ImportReport {
  dryRun: boolean;
  signer: { name: string; fingerprint: string; labId: string };
  /** When the exporting lab made the package. */
  createdAt: string;
  /** With dryRun: what would be imported (`id` is the id it would get; empty for a new id). */
  imported: Array<{ id: string; sourceId: string; captures: number; images: number }>;
  skipped: Array<{ id: string; reason: string }>;
  conflicts: Array<{ id: string; reason: string; newId?: string }>;
  errors: Array<{ id: string; code: string; message: string; details?: Record<string, unknown> }>;
}

export interface ExportSelection {
  specimenIds?: string[];
  /** Filters as in GET /api/specimens; used when no ids are given. */
  query?: ExportOptions['query'];
  /** Also export the specimens the selected ones imitate (default true), so `imitates` still holds at the partner. */
  withImitated?: boolean;
}

export interface LabKeyInfo {
  labId: string;
  publicKey: string;
  fingerprint: string;
}

interface ExchangeImportRecord extends StoredRecord {
  manifestSha256: string;
  signer: ImportReport['signer'];
  packageCreatedAt: string;
  importedBy: string;
  importedAt: string;
  counts: { imported: number; skipped: number; conflicts: number; errors: number };
  specimens: Array<{ sourceId: string; id: string }>;
}

export interface ExchangeServiceDeps {
  /** The context this service is part of (import runs through its specimen and ingest services). */
  context: () => AppContext;
  audit: AuditRecorder;
  now?: () => Date;
}

export class ExchangeService {
  private readonly context: () => AppContext;
  private readonly audit: AuditRecorder;
  private readonly now: () => Date;
  private labKeyPromise: Promise<LabKey> | undefined;

  constructor(deps: ExchangeServiceDeps) {
    this.context = deps.context;
    this.audit = deps.audit;
    this.now = deps.now ?? (() => new Date());
  }

  private get partners(): RecordCollection<PartnerKey> {
    return this.context().catalog.records.collection<PartnerKey>({ name: PARTNER_KEYS_COLLECTION, indexes: [{ fields: ['fingerprint'], unique: true }] });
  }

  private get imports(): RecordCollection<ExchangeImportRecord> {
    return this.context().catalog.records.collection<ExchangeImportRecord>({ name: EXCHANGE_IMPORTS_COLLECTION, indexes: [{ fields: ['manifestSha256'] }] });
  }

  /** This lab's signing key, created on first use. */
  private labKey(): Promise<LabKey> {
    const { keyFile, labId } = this.context().config.exchange;
    this.labKeyPromise ??= loadOrCreateLabKey(keyFile, labId).catch((err: unknown) => {
      this.labKeyPromise = undefined;
      throw err;
    });
    return this.labKeyPromise;
  }

  /** The public half of the lab key, for partners to trust. */
  async publicKey(actor: Actor): Promise<LabKeyInfo> {
    assertCan(actor, READ_LAB_KEY);
    const key = await this.labKey();
    return { labId: key.labId, publicKey: key.publicKeyPem, fingerprint: key.fingerprint };
  }

  // ---------------------------------------------------------------- export

  /** Writes a signed package of the selected specimens to `outPath`. */
  async exportPackage(selection: ExportSelection, outPath: string, actor: Actor): Promise<WrittenPackage & { specimenIds: string[] }> {
    assertCan(actor, 'exchange:export');
    assertCan(actor, 'specimens:read');
    const ctx = this.context();
    if (!selection.specimenIds?.length && !selection.query) {
      throw new ExemplarError('BAD_REQUEST', 'name the specimens to export (ids or a query)');
    }
    const { ids } = await selectSpecimens(ctx.catalog, {
      ...(selection.specimenIds?.length ? { ids: selection.specimenIds } : { query: selection.query ?? {} }),
      withImitated: selection.withImitated !== false,
    });
    if (ids.length === 0) throw new ExemplarError('BAD_REQUEST', 'the selection holds no specimen');
    const specimens: Specimen[] = [];
    for (const id of ids) {
      const s = await ctx.catalog.specimens.get(id);
      if (!s) throw notFound('SPECIMEN_NOT_FOUND', `Specimen ${id}`, { id });
      specimens.push(s);
    }
    const key = await this.labKey();
    const written = await writeExchangePackage(ctx.objects, key, specimens, outPath, this.now());
    await this.audit.record({
      actor,
      action: 'exchange.export',
      target: { kind: 'exchange-package', id: written.manifestSha256 },
      hashes: [written.manifestSha256],
      details: { specimenIds: ids, originals: written.originals, bytes: written.bytes, labId: key.labId },
    });
    return { ...written, specimenIds: ids };
  }

  // ---------------------------------------------------------------- import

  async importPackage(zipPath: string, options: ImportPackageOptions, actor: Actor): Promise<ImportReport> {
    assertCan(actor, 'exchange:import');
    assertCan(actor, 'specimens:write');
    const ctx = this.context();
    const dryRun = Boolean(options.dryRun);
    const onConflict = options.onConflict ?? 'skip';
    await fs.mkdir(ctx.config.tmpDir, { recursive: true });
    const scratch = await fs.mkdtemp(path.join(ctx.config.tmpDir, 'exchange-import-'));
    try {
      const own = await this.labKey();
      const pkg = await readExchangePackage(zipPath, {
        ownKey: { fingerprint: own.fingerprint, publicKey: own.publicKey },
        scratchDir: scratch,
        maxPackageBytes: ctx.config.exchange.maxPackageBytes,
        maxOriginalBytes: ctx.config.limits.maxUploadBytes,
        findSigner: async (fingerprint) => {
          const partner = await this.partners.findOne({ fingerprint });
          if (!partner) return null;
          if (partner.revoked) return 'revoked';
          return { name: partner.name, fingerprint: partner.fingerprint, publicKey: parsePublicKeyPem(partner.publicKey) };
        },
      });
      const report: ImportReport = {
        dryRun,
        signer: { name: pkg.signer.name, fingerprint: pkg.signer.fingerprint, labId: pkg.manifest.lab.id },
        createdAt: pkg.manifest.createdAt,
        imported: [],
        skipped: [],
        conflicts: [],
        errors: [],
      };

      // Sort the package's specimens into same (skip), different (conflict) and new.
      const toImport: Array<ExchangeSpecimen & { ref: string; newId?: boolean }> = [];
      for (const incoming of pkg.manifest.specimens) {
        const local = await ctx.catalog.specimens.get(incoming.id);
        if (!local) {
          toImport.push({ ...incoming, ref: incoming.id });
        } else if (sameContent(exchangeSpecimen(local), incoming)) {
          report.skipped.push({ id: incoming.id, reason: 'already in the library with the same content' });
        } else if (onConflict === 'new-id') {
          // The ref keeps other specimens of the package that imitate this one pointing at the copy imported here.
          toImport.push({ ...incoming, ref: incoming.id, newId: true });
        } else {
          report.conflicts.push({ id: incoming.id, reason: 'the library holds a different specimen with this id (import it under a new id with onConflict new-id)' });
        }
      }

      const rows = toImport.map(({ newId, ref, ...row }) => (newId ? { ref, specimen: row.specimen, captures: row.captures } : { ref, ...row }));
      const plan = { manifestPath: 'manifest.json', format: 'json' as const, rows: planFromJson(pkg.dir, JSON.stringify(rows)) };
      const summary = await importPlan(ctx, plan, { dryRun, actor });
      const sourceIdOf = new Map(plan.rows.map((r, i) => [r.row, (toImport[i] as ExchangeSpecimen).id]));
      for (const done of summary.imported) {
        const sourceId = sourceIdOf.get(done.row) ?? done.id;
        report.imported.push({ id: done.id, sourceId, captures: done.captures, images: done.images });
        if (toImport.find((t) => t.id === sourceId)?.newId) {
          report.conflicts.push({ id: sourceId, reason: 'the library holds a different specimen with this id; imported under a new id', ...(done.id ? { newId: done.id } : {}) });
        }
      }
      // importPlan skips a row whose id appeared meanwhile (another import racing this one); report it as such.
      for (const skipped of summary.skipped) report.skipped.push({ id: skipped.id, reason: skipped.reason });
      for (const refused of summary.refused) {
        report.errors.push({
          id: sourceIdOf.get(refused.row) ?? refused.row,
          code: refused.code,
          message: refused.message,
          ...(refused.details ? { details: refused.details } : {}),
        });
      }

      if (!dryRun) await this.recordImport(pkg.manifestSha256, report, actor);
      return report;
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }

  private async recordImport(manifestSha256: string, report: ImportReport, actor: Actor): Promise<void> {
    const at = timestamp(this.now());
    const record: ExchangeImportRecord = {
      id: newRecordId(),
      revision: 1,
      manifestSha256,
      signer: report.signer,
      packageCreatedAt: report.createdAt,
      importedBy: actor.id,
      importedAt: at,
      counts: { imported: report.imported.length, skipped: report.skipped.length, conflicts: report.conflicts.length, errors: report.errors.length },
      specimens: report.imported.map((i) => ({ sourceId: i.sourceId, id: i.id })),
    };
    await this.imports.insert(record);
    for (const imported of report.imported) {
      await this.audit.record({
        actor,
        action: 'specimen.import',
        target: { kind: 'specimen', id: imported.id },
        hashes: [manifestSha256],
        details: { from: report.signer, sourceId: imported.sourceId, captures: imported.captures, images: imported.images },
      });
    }
    await this.audit.record({
      actor,
      action: 'exchange.import',
      target: { kind: 'exchange-package', id: manifestSha256 },
      hashes: [manifestSha256],
      details: { signer: report.signer, counts: record.counts, importRecord: record.id },
    });
  }

  // ---------------------------------------------------------------- partner keys

  async listPartners(actor: Actor): Promise<PartnerKey[]> {
    assertCan(actor, 'partners:manage');
    return this.partners.find({ sort: [{ field: 'addedAt', direction: 1 }] });
  }

  async addPartner(body: unknown, actor: Actor): Promise<PartnerKey> {
    assertCan(actor, 'partners:manage');
    const input = valueOrThrow(validate('partner-key-create', body), 'partner key');
    const key = parsePublicKeyPem(input.publicKey);
    const fingerprint = keyFingerprint(key);
    const existing = await this.partners.findOne({ fingerprint });
    if (existing) {
      throw new ExemplarError('CONFLICT', `this key is already listed as ${existing.name}${existing.revoked ? ' (revoked)' : ''}`, { id: existing.id, fingerprint, revoked: existing.revoked });
    }
    const own = await this.labKey();
    if (own.fingerprint === fingerprint) throw new ExemplarError('CONFLICT', "this is the lab's own key, not a partner's", { fingerprint });
    const partner = valueOrThrow(
      validate('partner-key', {
        id: newRecordId(),
        revision: 1,
        name: input.name,
        publicKey: key.export({ type: 'spki', format: 'pem' }).toString(),
        fingerprint,
        addedBy: actor.id,
        addedAt: timestamp(this.now()),
        revoked: false,
      }),
      'partner key',
    );
    const stored = await this.partners.insert(partner);
    await this.audit.record({ actor, action: 'partner.add', target: { kind: 'partner-key', id: stored.id }, details: { name: stored.name, fingerprint } });
    return stored;
  }

  /** Revoked keys stay listed; packages they signed are refused from now on. */
  async revokePartner(id: string, actor: Actor): Promise<PartnerKey> {
    assertCan(actor, 'partners:manage');
    const current = (await this.partners.get(id)) ?? (await this.partners.findOne({ fingerprint: id }));
    if (!current) throw notFound('NOT_FOUND', `Partner key ${id}`, { id });
    if (current.revoked) return current;
    const next = valueOrThrow(
      validate('partner-key', { ...current, revision: current.revision + 1, revoked: true, revokedBy: actor.id, revokedAt: timestamp(this.now()) }),
      'partner key',
    );
    const stored = await this.partners.replace(current.id, current.revision, next);
    await this.audit.record({ actor, action: 'partner.revoke', target: { kind: 'partner-key', id: stored.id }, details: { name: stored.name, fingerprint: stored.fingerprint } });
    return stored;
  }
}

/**
 * Same specimen content: the record's fields, each capture's metadata,
 * images (by light source and SHA-256) and zones. Original file names are
 * left out: the importing library may name a nameless original itself.
 */
function sameContent(a: ExchangeSpecimen, b: ExchangeSpecimen): boolean {
  const strip = (s: ExchangeSpecimen) => ({
    specimen: s.specimen,
    captures: s.captures.map((c) => ({
      ...c,
      images: Object.fromEntries(Object.entries(c.images).map(([ls, i]) => [ls, i?.sha256])),
    })),
  });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** A scratch file name for a package written for download. */
export function scratchPackagePath(tmpDir: string): string {
  return path.join(tmpDir, `exchange-export-${randomUUID()}.zip`);
}
