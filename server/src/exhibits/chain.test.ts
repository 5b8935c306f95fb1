import { createHash } from 'node:crypto';
import { AUDIT_GENESIS_HASH, auditEntryHash, canonicalJson, chainAuditEntry, verifyAuditChain, type AuditEntry, type AuditEntryContent } from './chain';

const contents: AuditEntryContent[] = [1, 2, 3, 4, 5].map((seq): AuditEntryContent => ({
  seq,
  time: `2026-01-0${seq}T10:00:00.000Z`,
  actor: `user-${seq % 2}`,
  action: seq === 3 ? 'original.read' : 'case.read',
  target: 'case:c1',
  hashes: seq === 3 ? { original: 'a'.repeat(64) } : {},
}));

function chain(list = contents): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const c of list) out.push(chainAuditEntry(c, out[out.length - 1] ?? null));
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'é"' }, u: undefined })).toBe('{"a":{"c":"é\\"","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('refuses values JSON cannot spell one way', () => {
    expect(() => canonicalJson({ t: new Date(0) })).toThrow(/\$\.t is not a plain object/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/unsupported type function/);
  });
});

describe('auditEntryHash', () => {
  it('is sha256 of the canonical content (without hash and prevHash) followed by the previous hash', () => {
    const [first] = chain();
    const { hash, prevHash, ...content } = first!;
    expect(prevHash).toBe(AUDIT_GENESIS_HASH);
    const expected = createHash('sha256')
      .update(canonicalJson(content) + AUDIT_GENESIS_HASH)
      .digest('hex');
    expect(hash).toBe(expected);
    // Key order of the stored entry does not matter.
    const reordered = Object.fromEntries(Object.entries(first!).reverse()) as unknown as AuditEntry;
    expect(auditEntryHash(reordered, prevHash)).toBe(hash);
  });

  it('changes with any field, an extra field, or the previous hash', () => {
    const [first] = chain();
    expect(auditEntryHash({ ...first!, actor: 'someone-else' }, first!.prevHash)).not.toBe(first!.hash);
    expect(auditEntryHash({ ...first!, details: { note: 'x' } }, first!.prevHash)).not.toBe(first!.hash);
    expect(auditEntryHash(first!, 'f'.repeat(64))).not.toBe(first!.hash);
    expect(() => auditEntryHash(first!, 'nope')).toThrow(/64 lowercase hex/);
  });
});

describe('verifyAuditChain', () => {
  it('accepts an intact log, complete or as a slice with gaps', () => {
    const log = chain();
    expect(verifyAuditChain(log, { complete: true })).toMatchObject({ ok: true, entries: 5, head: log[4]!.hash, firstBad: null, gaps: [] });
    const slice = [log[0]!, log[1]!, log[4]!];
    expect(verifyAuditChain(slice)).toMatchObject({ ok: true, gaps: [{ after: 2, before: 5 }] });
    expect(verifyAuditChain(slice, { complete: true })).toMatchObject({ ok: false, firstBad: { kind: 'gap', seq: 5 } });
  });

  it('names the first modified entry', () => {
    const log = chain();
    log[2] = { ...log[2]!, actor: 'intruder' };
    const r = verifyAuditChain(log, { complete: true });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ kind: 'hash-mismatch', index: 2, seq: 3 });
  });

  it('catches a modified entry re-hashed in place by its broken link to the next one', () => {
    const log = chain();
    const forged = { ...log[2]!, actor: 'intruder' };
    forged.hash = auditEntryHash(forged, forged.prevHash);
    log[2] = forged;
    expect(verifyAuditChain(log).firstBad).toMatchObject({ kind: 'broken-link', seq: 4 });
  });

  it('catches a deleted entry in the complete log even when the rest is re-chained', () => {
    const log = chain();
    const rechained = chain([contents[0]!, contents[1]!, contents[3]!, contents[4]!]);
    expect(verifyAuditChain(rechained, { complete: true }).firstBad).toMatchObject({ kind: 'gap', seq: 4 });
    log.splice(2, 1);
    expect(verifyAuditChain(log, { complete: true }).ok).toBe(false);
  });

  it('catches reordered entries', () => {
    const log = chain();
    [log[1], log[2]] = [log[2]!, log[1]!];
    const r = verifyAuditChain(log);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain('out-of-order');
  });

  it('reports malformed entries instead of throwing', () => {
    const log: unknown[] = chain();
    log[1] = { seq: 2, time: 5 };
    log.push('junk');
    const r = verifyAuditChain(log);
    expect(r.firstBad).toMatchObject({ kind: 'invalid-entry', index: 1 });
    expect(r.problems.filter((p) => p.kind === 'invalid-entry')).toHaveLength(2);
    expect(r.head).toBeNull();
  });
});
