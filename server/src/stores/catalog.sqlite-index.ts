/**
 * The in-memory search index of the SQLite catalog: per specimen (by SQLite
 * rowid) its facet values, issued years and sort keys, in flat typed arrays.
 *
 * Why in memory: disjunctive facet counts need, for every facet, the counts
 * over "all filters but this one". In SQL that is a GROUP BY over every
 * matching specimen's facet rows, once per filtered facet, so a broad filter
 * at 100k specimens reads millions of index entries. Here one pass over the
 * specimens decides for each how many filter groups it fails: none → it
 * matches and counts toward every facet; exactly one → it counts only toward
 * that facet; more → nothing. A pass over 100k specimens takes milliseconds.
 *
 * The index is a cache: SQLite stays the source of truth, and the adapter
 * brings the index up to date from the `changes` log before each search, so
 * several processes can write the same file.
 */
import { FACETS, type FacetCount, type FacetName } from './catalog.port';
import {
  emptyFacets,
  orderFacetCounts,
  VALUE_FACETS,
  type NormalizedQuery,
  type SortKeyValues,
  type ValueFacet,
} from './catalog.search';

/** What the index keeps about one specimen. */
export interface IndexEntry {
  id: string;
  facets: Record<ValueFacet, string[]>;
  yearFrom: number | null;
  yearTo: number | null;
  titleKey: string;
  createdAt: number;
  updatedAt: number;
  imitates: string | null;
}

export interface IndexSearchResult {
  /** rids of the page, in order, at most `limit`. */
  rids: number[];
  /** Sort key of the last rid of the page when more results follow. */
  next: { values: SortKeyValues; id: string } | null;
  total: number;
  facets: Record<FacetName, FacetCount[]>;
}


const FACET_BIT = Object.fromEntries(FACETS.map((f, i) => [f, 1 << i])) as Record<FacetName, number>;
const YEAR_NONE = -0x80000000;
const YEAR_OPEN = 0x7fffffff;

function grow<T extends Int32Array | Uint8Array | Uint16Array | Float64Array>(a: T, size: number): T {
  if (a.length >= size) return a;
  let n = Math.max(16, a.length);
  while (n < size) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class SpecimenIndex {
  private alive = new Uint8Array(0);
  private ids: (string | undefined)[] = [];
  private titleKeys: string[] = [];
  private issuingStates: string[] = [];
  private imitates: (string | null)[] = [];
  private created = new Float64Array(0);
  private updated = new Float64Array(0);
  private yearLo = new Int32Array(0);
  private yearHi = new Int32Array(0);
  /** Facet values of each rid: `values[start[rid] .. start[rid] + len[rid]]` are value ids. */
  private start = new Int32Array(0);
  private len = new Uint16Array(0);
  private values = new Int32Array(0);
  private valuesUsed = 0;
  private valuesGarbage = 0;
  /** Value ids: one dictionary per facet; `facetOf[vid]` is the facet's bit. */
  private readonly vidByValue = new Map<ValueFacet, Map<string, number>>(VALUE_FACETS.map((f) => [f, new Map()]));
  private facetOf = new Int32Array(0);
  private valueOf: string[] = [];
  private facetNameOf: ValueFacet[] = [];
  private minYear = YEAR_OPEN;
  private maxYear = YEAR_NONE;
  private maxRid = -1;
  private liveCount = 0;
  /** Changes on every upsert and remove: what cached results are checked against. */
  private version = 0;
  /** Facet counts of the query without any filter, the most frequent search (a catalogue's first page). */
  private unfilteredFacets: { version: number; year: number; facets: Record<FacetName, FacetCount[]> } | null = null;
  /** Reused by every search for the matching rids. */
  private matchBuffer = new Int32Array(0);

  get size(): number {
    return this.liveCount;
  }

  /** One past the largest rid ever indexed: the length a per-rid array needs. */
  get ridLimit(): number {
    return this.maxRid + 1;
  }

  clear(): void {
    Object.assign(this, new SpecimenIndex());
  }

  private vid(facet: ValueFacet, value: string): number {
    const dict = this.vidByValue.get(facet)!;
    let id = dict.get(value);
    if (id === undefined) {
      id = this.valueOf.length;
      dict.set(value, id);
      this.valueOf.push(value);
      this.facetNameOf.push(facet);
      this.facetOf = grow(this.facetOf, id + 1);
      this.facetOf[id] = FACET_BIT[facet];
    }
    return id;
  }

  private ensureRid(rid: number): void {
    if (rid < this.alive.length) return;
    const n = rid + 1;
    this.alive = grow(this.alive, n);
    this.created = grow(this.created, n);
    this.updated = grow(this.updated, n);
    this.yearLo = grow(this.yearLo, n);
    this.yearHi = grow(this.yearHi, n);
    this.start = grow(this.start, n);
    this.len = grow(this.len, n);
  }

  upsert(rid: number, e: IndexEntry): void {
    this.ensureRid(rid);
    this.version++;
    if (this.alive[rid]) this.valuesGarbage += this.len[rid]!;
    else this.liveCount++;
    this.alive[rid] = 1;
    this.maxRid = Math.max(this.maxRid, rid);
    this.ids[rid] = e.id;
    this.titleKeys[rid] = e.titleKey;
    this.issuingStates[rid] = e.facets.issuingState[0] ?? '';
    this.imitates[rid] = e.imitates;
    this.created[rid] = e.createdAt;
    this.updated[rid] = e.updatedAt;
    if (e.yearFrom === null) {
      this.yearLo[rid] = YEAR_NONE;
      this.yearHi[rid] = YEAR_NONE;
    } else {
      this.yearLo[rid] = e.yearFrom;
      this.yearHi[rid] = e.yearTo ?? YEAR_OPEN;
      this.minYear = Math.min(this.minYear, e.yearFrom);
      this.maxYear = Math.max(this.maxYear, e.yearTo ?? e.yearFrom);
    }
    const vids: number[] = [];
    for (const facet of VALUE_FACETS) for (const v of e.facets[facet]) vids.push(this.vid(facet, v));
    if (vids.length > 0xffff) throw new RangeError('too many facet values on one specimen');
    this.values = grow(this.values, this.valuesUsed + vids.length);
    this.start[rid] = this.valuesUsed;
    this.len[rid] = vids.length;
    this.values.set(vids, this.valuesUsed);
    this.valuesUsed += vids.length;
    if (this.valuesGarbage > 1024 && this.valuesGarbage > this.valuesUsed / 2) this.compact();
  }

  remove(rid: number): void {
    if (rid >= this.alive.length || !this.alive[rid]) return;
    this.version++;
    this.alive[rid] = 0;
    this.liveCount--;
    this.valuesGarbage += this.len[rid]!;
    this.len[rid] = 0;
    this.ids[rid] = undefined;
  }

  private compact(): void {
    const next = new Int32Array(Math.max(16, this.valuesUsed - this.valuesGarbage));
    let used = 0;
    for (let rid = 0; rid <= this.maxRid; rid++) {
      if (!this.alive[rid]) continue;
      const s = this.start[rid]!;
      const n = this.len[rid]!;
      next.set(this.values.subarray(s, s + n), used);
      this.start[rid] = used;
      used += n;
    }
    this.values = next;
    this.valuesUsed = used;
    this.valuesGarbage = 0;
  }

  /** `text[rid]` is 1 where the text search matched (null: no text in the query). */
  search(q: NormalizedQuery, text: Uint8Array | null, year: number): IndexSearchResult {
    const { alive, values, start, len, facetOf, yearLo, yearHi, imitates } = this;
    const vidCount = this.valueOf.length;

    // Filter groups: one bit per filtered facet; `selected[vid]` is the bit of the facet the value is selected in.
    const selected = new Int32Array(vidCount);
    let orMask = 0;
    let tagsNeeded = 0;
    for (const facet of VALUE_FACETS) {
      const wanted = q.filters[facet];
      if (!wanted) continue;
      const dict = this.vidByValue.get(facet)!;
      let known = 0;
      for (const v of wanted) {
        const id = dict.get(v);
        if (id !== undefined) {
          selected[id] = FACET_BIT[facet];
          known++;
        }
      }
      if (facet === 'tags') {
        tagsNeeded = wanted.length;
        // An unknown tag can never be present: nothing matches.
        if (known < wanted.length) tagsNeeded = Infinity;
      } else {
        orMask |= FACET_BIT[facet];
      }
    }
    const tagsBit = FACET_BIT.tags;
    const yearBit = FACET_BIT.year;
    const yearFiltered = q.yearFrom !== null || q.yearTo !== null;
    const yFrom = q.yearFrom ?? -Infinity;
    const yTo = q.yearTo ?? Infinity;
    const groupMask = orMask | (yearFiltered ? yearBit : 0);
    const textMatches = text;
    const wantImitates = q.imitates;

    const unfiltered = groupMask === 0 && tagsNeeded === 0 && textMatches === null && wantImitates === null;
    const cached = unfiltered && this.unfilteredFacets?.version === this.version && this.unfilteredFacets.year === year ? this.unfilteredFacets : null;
    const counts = new Int32Array(cached ? 0 : vidCount);
    const yMin = this.minYear;
    const yMax = Math.max(this.maxYear, year);
    // Per year: +1 where a specimen's span starts, -1 after it ends; summed up below.
    const yearDelta = cached || yMin > yMax ? new Int32Array(0) : new Int32Array(yMax - yMin + 2);
    if (this.matchBuffer.length < this.maxRid + 1) this.matchBuffer = new Int32Array(this.alive.length);
    const matched = this.matchBuffer;
    let matchCount = 0;

    for (let rid = 0; rid <= this.maxRid; rid++) {
      if (!alive[rid]) continue;
      if (textMatches !== null && !textMatches[rid]) continue;
      if (wantImitates !== null && imitates[rid] !== wantImitates) continue;
      const s = start[rid]!;
      const e = s + len[rid]!;
      if (unfiltered) {
        matched[matchCount++] = rid;
        if (cached) continue;
        for (let i = s; i < e; i++) counts[values[i]!]!++;
        const lo = yearLo[rid]!;
        if (lo !== YEAR_NONE) {
          const hi = yearHi[rid]!;
          yearDelta[lo - yMin]!++;
          yearDelta[(hi === YEAR_OPEN ? Math.max(lo, year) : hi) - yMin + 1]!--;
        }
        continue;
      }
      let passed = 0;
      let tagHits = 0;
      for (let i = s; i < e; i++) {
        const bit = selected[values[i]!]!;
        if (bit === tagsBit) tagHits++;
        else passed |= bit;
      }
      if (tagHits < tagsNeeded) continue;
      const lo = yearLo[rid]!;
      let hi = yearHi[rid]!;
      const hasYears = lo !== YEAR_NONE;
      if (hasYears) {
        if (hi === YEAR_OPEN) hi = Math.max(lo, year);
        if (!yearFiltered || (lo <= yTo && hi >= yFrom)) passed |= yearBit;
      }
      const failed = groupMask & ~passed;
      if (failed === 0) {
        matched[matchCount++] = rid;
        for (let i = s; i < e; i++) counts[values[i]!]!++;
      } else if ((failed & (failed - 1)) === 0) {
        // Fails exactly one group: counts toward that facet only (disjunctive).
        if (failed !== yearBit) for (let i = s; i < e; i++) if (facetOf[values[i]!] === failed) counts[values[i]!]!++;
      } else {
        continue;
      }
      if (hasYears && (failed === 0 || failed === yearBit)) {
        yearDelta[lo - yMin]!++;
        yearDelta[hi - yMin + 1]!--;
      }
    }

    let facets: Record<FacetName, FacetCount[]>;
    if (cached) {
      facets = cached.facets;
    } else {
      facets = emptyFacets();
      for (let vid = 0; vid < vidCount; vid++) {
        const c = counts[vid]!;
        if (c > 0) facets[this.facetNameOf[vid]!].push({ value: this.valueOf[vid]!, count: c });
      }
      for (let i = 0, running = 0; i < yearDelta.length - 1; i++) {
        running += yearDelta[i]!;
        if (running > 0) facets.year.push({ value: String(yMin + i), count: running });
      }
      for (const f of FACETS) facets[f] = orderFacetCounts(facets[f]);
      if (unfiltered) this.unfilteredFacets = { version: this.version, year, facets };
    }

    const hits = matched.subarray(0, matchCount);
    const scores = q.sort.field === 'relevance' ? this.titleScores(q.terms, hits) : null;
    const { rids, more } = this.topK(q, hits, scores);
    const last = rids[rids.length - 1];
    return {
      rids,
      next: more && last !== undefined ? { values: this.sortKey(q, last, scores), id: this.ids[last]! } : null,
      total: matchCount,
      // The cached counts are shared: callers get their own copy.
      facets: cached ? structuredClone(facets) : facets,
    };
  }

  /** Relevance: how many query words prefix a word of the title (the title key is its folded words joined by spaces). */
  private titleScores(terms: readonly string[], rids: Int32Array): Uint8Array {
    const scores = new Uint8Array(this.maxRid + 1);
    const inside = terms.map((t) => ` ${t}`);
    for (const rid of rids) {
      const title = this.titleKeys[rid]!;
      let score = 0;
      for (let i = 0; i < terms.length; i++) if (title.startsWith(terms[i]!) || title.includes(inside[i]!)) score++;
      scores[rid] = score;
    }
    return scores;
  }

  private sortKey(q: NormalizedQuery, rid: number, scores: Uint8Array | null): SortKeyValues {
    switch (q.sort.field) {
      case 'relevance':
        return [scores?.[rid] ?? 0, this.updated[rid]!];
      case 'titleKey':
        return [this.titleKeys[rid]!];
      case 'issuingState':
        return [this.issuingStates[rid]!];
      case 'createdAt':
        return [this.created[rid]!];
      case 'updatedAt':
        return [this.updated[rid]!];
    }
  }

  /** The first `limit` matches after the cursor in sort order, by a bounded max-heap. */
  private topK(q: NormalizedQuery, matched: Int32Array, scores: Uint8Array | null): { rids: number[]; more: boolean } {
    const plan = q.sort;
    const ids = this.ids;
    const dir = plan.direction;
    const primary: (rid: number) => number | string =
      plan.field === 'relevance'
        ? (rid) => scores?.[rid] ?? 0
        : plan.field === 'titleKey'
          ? (rid) => this.titleKeys[rid]!
          : plan.field === 'issuingState'
            ? (rid) => this.issuingStates[rid]!
            : plan.field === 'createdAt'
              ? (rid) => this.created[rid]!
              : (rid) => this.updated[rid]!;
    const secondary: ((rid: number) => number) | null = plan.field === 'relevance' ? (rid) => this.updated[rid]! : null;
    const cmp = (a: number, b: number): number => {
      const pa = primary(a);
      const pb = primary(b);
      if (pa !== pb) return (pa < pb ? -1 : 1) * dir;
      if (secondary) {
        const sa = secondary(a);
        const sb = secondary(b);
        if (sa !== sb) return (sa < sb ? -1 : 1) * dir;
      }
      const ia = ids[a]!;
      const ib = ids[b]!;
      return ia === ib ? 0 : (ia < ib ? -1 : 1) * dir;
    };
    const after = q.after;
    const k = q.limit + 1;
    const heap: number[] = [];
    const up = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (cmp(heap[i]!, heap[p]!) <= 0) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && cmp(heap[l]!, heap[m]!) > 0) m = l;
        if (r < heap.length && cmp(heap[r]!, heap[m]!) > 0) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    // Compared field by field so that no key array is built per candidate.
    const isAfter = (rid: number): boolean => {
      if (!after) return true;
      const pa = primary(rid);
      const pb = after.values[0]!;
      if (pa !== pb) return (pa < pb ? -1 : 1) * dir > 0;
      if (secondary) {
        const sa = secondary(rid);
        const sb = after.values[1] as number;
        if (sa !== sb) return (sa < sb ? -1 : 1) * dir > 0;
      }
      const id = ids[rid]!;
      return id !== after.id && (id < after.id ? -1 : 1) * dir > 0;
    };
    for (const rid of matched) {
      if (!isAfter(rid)) continue;
      if (heap.length < k) {
        heap.push(rid);
        up(heap.length - 1);
      } else if (cmp(rid, heap[0]!) < 0) {
        heap[0] = rid;
        down(0);
      }
    }
    heap.sort(cmp);
    const more = heap.length > q.limit;
    return { rids: more ? heap.slice(0, q.limit) : heap, more };
  }
}
