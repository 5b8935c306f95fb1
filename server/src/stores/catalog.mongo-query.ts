/**
 * Pure translation of catalog searches into MongoDB aggregation pipelines,
 * and of specimens into the documents they are run against. No driver here:
 * the translation is tested without a server by evaluating it with `mingo`
 * on fixtures and comparing with the SQLite adapter.
 *
 * Each specimen document is the specimen's own fields, `_id` = its id, plus a
 * derived `_search` sub-document (catalog.search.ts `indexFields`): facet
 * values as arrays, issued years, folded words, sort keys, object keys.
 *
 * Text search: `$text` matches whole stemmed words, not prefixes, so it would
 * not give the answers the SQLite adapter gives. Instead `_search.words` holds
 * the folded words (the same `tokenize` as SQLite) under a multikey index,
 * and each query word becomes an anchored, case-sensitive regex `^word`,
 * which MongoDB answers with an index range scan. That index is the
 * collection's text index.
 *
 * Sorting: MongoDB orders strings by UTF-8 bytes, the SQLite adapter by
 * UTF-16 code units; the two agree except between characters above U+FFFF
 * and those from U+E000 to U+FFFF, which titles hardly mix.
 */
import type { Document, IndexDescription } from 'mongodb';
import type { Specimen } from '@exemplar/specimens-schema';
import { FACETS, type EvidenceHold, type FacetCount, type FacetName, type SpecimenPage } from './catalog.port';
import {
  emptyFacets,
  encodeCursor,
  indexFields,
  orderFacetCounts,
  OR_FACETS,
  VALUE_FACETS,
  type NormalizedQuery,
  type SortKeyValues,
  type ValueFacet,
} from './catalog.search';

export interface SearchFields {
  issuingState: string[];
  documentCategory: string[];
  documentCode: string[];
  status: string[];
  forgeryMethod: string[];
  featureType: string[];
  lightSource: string[];
  classification: string[];
  tags: string[];
  yearFrom: number | null;
  yearTo: number | null;
  /** Distinct folded words of title, series, description and notes. */
  words: string[];
  titleWords: string[];
  titleKey: string;
  createdAt: number;
  updatedAt: number;
  imitates: string | null;
  objectKeys: string[];
  /** The change number of the write that stored this version (catalog.mongo.ts, `changedSince`). */
  changeSeq?: number;
}

/**
 * `_holds`: the evidence holds on the specimen (catalog.port.ts EvidenceHold), kept in its document so that a hold and a delete meet
 * in one atomic write; `_holdsTaken`: how many were taken (SpecimenHolds.taken; absent means 0).
 */
export type SpecimenDocument = Omit<Specimen, 'id'> & { _id: string; id: string; _search: SearchFields; _holds?: EvidenceHold[]; _holdsTaken?: number };

export function toSpecimenDocument(s: Specimen): SpecimenDocument {
  const f = indexFields(s);
  const words = new Set([...f.words.title, ...f.words.series, ...f.words.description, ...f.words.notes]);
  return {
    ...s,
    _id: s.id,
    _search: {
      ...f.facets,
      yearFrom: f.yearFrom,
      yearTo: f.yearTo,
      words: [...words].sort(),
      titleWords: [...new Set(f.words.title)].sort(),
      titleKey: f.titleKey,
      createdAt: f.createdAt,
      updatedAt: f.updatedAt,
      imitates: f.imitates,
      objectKeys: f.objectKeys,
    },
  };
}

export function fromSpecimenDocument(doc: Document): Specimen {
  const { _id, _search, _score, _holds, _holdsTaken, ...specimen } = doc;
  return specimen as Specimen;
}

/** The indexes `init()` ensures. */
export const SPECIMEN_INDEXES: IndexDescription[] = [
  { key: { '_search.words': 1 }, name: 'search_words' },
  { key: { '_search.updatedAt': -1, _id: -1 }, name: 'sort_updated' },
  { key: { '_search.createdAt': -1, _id: -1 }, name: 'sort_created' },
  { key: { '_search.titleKey': 1, _id: 1 }, name: 'sort_title' },
  { key: { issuingState: 1, _id: 1 }, name: 'sort_state' },
  { key: { '_search.imitates': 1 }, name: 'imitates' },
  { key: { '_search.objectKeys': 1 }, name: 'object_keys' },
  { key: { '_search.changeSeq': 1 }, name: 'change_seq' },
  { key: { '_holds.holder': 1 }, name: 'holders', sparse: true },
  ...VALUE_FACETS.filter((f) => f !== 'issuingState').map((f) => ({ key: { [`_search.${f}`]: 1 }, name: `facet_${f}` })),
];

/** Facets that are one top-level string field of the specimen (documentCode may be absent). */
const SCALAR_FACETS: ReadonlySet<ValueFacet> = new Set(['issuingState', 'documentCategory', 'documentCode', 'status', 'classification']);

export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ------------------------------------------------------------ filters

type Group = ValueFacet | 'year';

/** Conditions that apply to every facet's counts: text, imitates and tags (an AND facet). */
function globalConditions(q: NormalizedQuery): Document[] {
  const out: Document[] = q.terms.map((t) => ({ '_search.words': { $regex: `^${escapeRegex(t)}` } }));
  if (q.imitates !== null) out.push({ '_search.imitates': q.imitates });
  if (q.filters.tags) out.push({ '_search.tags': { $all: q.filters.tags } });
  return out;
}

function yearCondition(q: NormalizedQuery, currentYear: number): Document | null {
  if (q.yearFrom === null && q.yearTo === null) return null;
  // A specimen spans [yearFrom, yearTo ?? max(yearFrom, currentYear)]; it matches when the spans overlap.
  const parts: Document[] = [{ '_search.yearFrom': { $type: 'number' } }];
  if (q.yearTo !== null) parts.push({ '_search.yearFrom': { $lte: q.yearTo } });
  if (q.yearFrom !== null) {
    const openEnded: Document = { '_search.yearTo': null };
    if (currentYear < q.yearFrom) openEnded['_search.yearFrom'] = { $gte: q.yearFrom };
    parts.push({ $or: [{ '_search.yearTo': { $type: 'number', $gte: q.yearFrom } }, openEnded] });
  }
  return { $and: parts };
}

function groupConditions(q: NormalizedQuery, currentYear: number): Map<Group, Document> {
  const out = new Map<Group, Document>();
  for (const f of OR_FACETS) {
    const values = q.filters[f];
    if (values) out.set(f, { [`_search.${f}`]: { $in: values } });
  }
  const years = yearCondition(q, currentYear);
  if (years) out.set('year', years);
  return out;
}

const and = (conds: Document[]): Document => (conds.length === 0 ? {} : conds.length === 1 ? conds[0]! : { $and: conds });

/** The full filter of a query. */
export function searchFilter(q: NormalizedQuery, currentYear: number): Document {
  return and([...globalConditions(q), ...groupConditions(q, currentYear).values()]);
}

// ------------------------------------------------------------ sorting

interface SortFields {
  /** Document paths of the sort keys, in order; `_score` is computed by the pipeline. */
  paths: string[];
  direction: 1 | -1;
}

function sortFields(q: NormalizedQuery): SortFields {
  const d = q.sort.direction;
  switch (q.sort.field) {
    case 'relevance':
      return { paths: ['_score', '_search.updatedAt'], direction: d };
    case 'titleKey':
      return { paths: ['_search.titleKey'], direction: d };
    case 'issuingState':
      return { paths: ['issuingState'], direction: d };
    default:
      return { paths: [`_search.${q.sort.field}`], direction: d };
  }
}

/** How many query words prefix a title word, as an aggregation expression. */
function scoreExpression(terms: string[]): Document {
  return {
    $size: {
      $filter: {
        input: { $literal: terms },
        as: 't',
        cond: {
          $anyElementTrue: [
            {
              $map: {
                input: '$_search.titleWords',
                as: 'w',
                in: { $eq: [{ $substrCP: ['$$w', 0, { $strLenCP: '$$t' }] }, '$$t'] },
              },
            },
          ],
        },
      },
    },
  };
}

/** Strictly after the cursor in sort order: a lexicographic comparison on (keys…, _id). */
function afterCondition(q: NormalizedQuery, s: SortFields): Document | null {
  if (!q.after) return null;
  const op = s.direction === 1 ? '$gt' : '$lt';
  const keys = [...s.paths, '_id'];
  const values: (string | number)[] = [...q.after.values, q.after.id];
  const branches: Document[] = [];
  for (let i = 0; i < keys.length; i++) {
    const branch: Document = {};
    for (let j = 0; j < i; j++) branch[keys[j]!] = values[j];
    branch[keys[i]!] = { [op]: values[i] };
    branches.push(branch);
  }
  return { $or: branches };
}

// ------------------------------------------------------------ the plan

export interface MongoSearchPlan {
  /** Run on the specimens collection: the page, with one extra item telling whether more follow. */
  items: Document[];
  /** Run on the specimens collection: one document with a count list per facet and the total. */
  facets: Document[];
}

export function planMongoSearch(q: NormalizedQuery, currentYear: number): MongoSearchPlan {
  const global = globalConditions(q);
  const groups = groupConditions(q, currentYear);
  const s = sortFields(q);

  const items: Document[] = [{ $match: and([...global, ...groups.values()]) }];
  if (q.sort.field === 'relevance') items.push({ $addFields: { _score: scoreExpression(q.terms) } });
  const after = afterCondition(q, s);
  if (after) items.push({ $match: after });
  items.push({ $sort: Object.fromEntries([...s.paths, '_id'].map((p) => [p, s.direction])) }, { $limit: q.limit + 1 });

  const except = (g: Group | null): Document => ({ $match: and([...groups].filter(([k]) => k !== g).map(([, c]) => c)) });
  const count = (path: string): Document[] => [{ $unwind: path }, { $group: { _id: path, count: { $sum: 1 } } }];
  const facetStages: Document = {};
  for (const f of VALUE_FACETS) {
    facetStages[f] = SCALAR_FACETS.has(f)
      ? // The specimen's own field holds the one value: no $unwind.
        [except(f), { $match: { [f]: { $type: 'string' } } }, { $group: { _id: `$${f}`, count: { $sum: 1 } } }]
      : [except(f === 'tags' ? null : f), ...count(`$_search.${f}`)];
  }
  facetStages['year'] = [
    except('year'),
    { $match: { '_search.yearFrom': { $type: 'number' } } },
    {
      $project: {
        y: {
          $range: ['$_search.yearFrom', { $add: [{ $ifNull: ['$_search.yearTo', { $max: ['$_search.yearFrom', currentYear] }] }, 1] }],
        },
      },
    },
    ...count('$y'),
  ];
  facetStages['total'] = [except(null), { $count: 'n' }];
  // $facet buffers its input: only the fields the counts need go in.
  const slim = { $project: Object.fromEntries([...VALUE_FACETS.map((f) => `_search.${f}`), '_search.yearFrom', '_search.yearTo', ...SCALAR_FACETS].map((f) => [f, 1])) };
  const facets: Document[] = [...(global.length > 0 ? [{ $match: and(global) }] : []), slim, { $facet: facetStages }];
  return { items, facets };
}

function sortKeyOf(q: NormalizedQuery, doc: Document): SortKeyValues {
  const search = doc['_search'] as SearchFields;
  switch (q.sort.field) {
    case 'relevance':
      return [doc['_score'] as number, search.updatedAt];
    case 'titleKey':
      return [search.titleKey];
    case 'issuingState':
      return [doc['issuingState'] as string];
    default:
      return [search[q.sort.field]];
  }
}

/** The page from the results of the plan's two pipelines. */
export function pageFromResults(q: NormalizedQuery, itemDocs: Document[], facetDocs: Document[]): SpecimenPage {
  const more = itemDocs.length > q.limit;
  const pageDocs = more ? itemDocs.slice(0, q.limit) : itemDocs;
  const last = pageDocs[pageDocs.length - 1];
  const raw = (facetDocs[0] ?? {}) as Record<string, { _id: unknown; count: number }[] | { n: number }[]>;
  const facets: Record<FacetName, FacetCount[]> = emptyFacets();
  for (const f of FACETS) {
    const list = (raw[f] ?? []) as { _id: unknown; count: number }[];
    facets[f] = orderFacetCounts(list.map((c) => ({ value: String(c._id), count: c.count })));
  }
  const total = ((raw['total'] ?? []) as { n: number }[])[0]?.n ?? 0;
  return {
    items: pageDocs.map(fromSpecimenDocument),
    facets,
    total,
    nextCursor: more && last ? encodeCursor(q, sortKeyOf(q, last), last['_id'] as string) : null,
  };
}
