import { useId, useState } from 'react';
import {
  categoryLabel,
  classificationLabel,
  featureTypeLabel,
  forgeryMethodLabel,
  issuingStateShortLabel,
  lightLabel,
  statusLabel,
} from '../../shared/vocabulary';
import type { FacetCount, FacetName, ListFilter, SpecimenPage, SpecimenSearch } from './api';

const FACET_TITLES: Record<FacetName, string> = {
  status: 'Status',
  issuingState: 'Issuing state',
  documentCategory: 'Category',
  documentCode: 'Document code',
  forgeryMethod: 'Forgery method',
  featureType: 'Security feature',
  lightSource: 'Light source',
  classification: 'Classification',
  tags: 'Tags',
  year: 'Year issued',
};

const VALUE_LABELS: Partial<Record<FacetName, (v: string) => string>> = {
  status: statusLabel,
  issuingState: issuingStateShortLabel,
  documentCategory: categoryLabel,
  forgeryMethod: forgeryMethodLabel,
  featureType: featureTypeLabel,
  lightSource: lightLabel,
  classification: classificationLabel,
};

export function facetTitle(name: FacetName): string {
  return FACET_TITLES[name];
}

export function facetValueLabel(name: FacetName, value: string): string {
  return VALUE_LABELS[name]?.(value) ?? value;
}

const COLLAPSED_COUNT = 8;

interface FacetGroupProps {
  name: ListFilter;
  counts: FacetCount[];
  selected: string[];
  onToggle: (name: ListFilter, value: string) => void;
}

function FacetGroup({ name, counts, selected, onToggle }: FacetGroupProps) {
  const [expanded, setExpanded] = useState(false);
  const listId = useId();
  // A selected value stays listed (with 0) even when no result carries it any more, so it can be unticked.
  const missing = selected.filter((v) => !counts.some((c) => c.value === v)).map((value) => ({ value, count: 0 }));
  const all = [...counts, ...missing];
  if (all.length === 0) return null;
  const shown = expanded ? all : all.slice(0, COLLAPSED_COUNT);
  return (
    <fieldset className="facet">
      <legend>{FACET_TITLES[name]}</legend>
      <ul id={listId} className="facet__values">
        {shown.map(({ value, count }) => {
          const label = facetValueLabel(name, value);
          return (
            <li key={value}>
              <label className="facet__value">
                <input type="checkbox" checked={selected.includes(value)} onChange={() => onToggle(name, value)} />
                <span className="facet__label" title={label}>
                  {label}
                </span>
                <span className="facet__count" aria-label={`${count} specimens`}>
                  {count}
                </span>
              </label>
            </li>
          );
        })}
      </ul>
      {all.length > COLLAPSED_COUNT && (
        <button type="button" className="link-button" aria-expanded={expanded} aria-controls={listId} onClick={() => setExpanded((e) => !e)}>
          {expanded ? 'Show fewer' : `Show all ${all.length}`}
        </button>
      )}
    </fieldset>
  );
}

function YearFacet({ counts, search, onYears }: { counts: FacetCount[]; search: SpecimenSearch; onYears: (from?: number, to?: number) => void }) {
  const years = counts.map((c) => Number(c.value)).filter(Number.isFinite);
  const min = years.length ? Math.min(...years) : undefined;
  const max = years.length ? Math.max(...years) : undefined;
  const fromId = useId();
  const toId = useId();
  const parse = (v: string) => (/^\d{4}$/.test(v) ? Number(v) : undefined);
  if (!years.length && search.yearFrom === undefined && search.yearTo === undefined) return null;
  return (
    <fieldset className="facet">
      <legend>{FACET_TITLES.year}</legend>
      <form
        className="facet__years"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          onYears(parse(String(data.get('yearFrom') ?? '')), parse(String(data.get('yearTo') ?? '')));
        }}
      >
        <label htmlFor={fromId}>From</label>
        <input id={fromId} name="yearFrom" inputMode="numeric" pattern="\d{4}" size={5} placeholder={min?.toString()} defaultValue={search.yearFrom ?? ''} key={`f${search.yearFrom}`} />
        <label htmlFor={toId}>to</label>
        <input id={toId} name="yearTo" inputMode="numeric" pattern="\d{4}" size={5} placeholder={max?.toString()} defaultValue={search.yearTo ?? ''} key={`t${search.yearTo}`} />
        <button type="submit" className="button button--small">
          Apply
        </button>
      </form>
    </fieldset>
  );
}

export interface FacetPanelProps {
  id?: string;
  /** Narrow screens show the panel only when opened. */
  open?: boolean;
  page: SpecimenPage | undefined;
  search: SpecimenSearch;
  onToggle: (name: ListFilter, value: string) => void;
  onYears: (from?: number, to?: number) => void;
}

export function FacetPanel({ id, open = false, page, search, onToggle, onYears }: FacetPanelProps) {
  const facets = page?.facets;
  // With no result and no filter ticked every group is empty: say so rather than show a blank box (or open one on a phone).
  const nothingToFilter =
    page !== undefined &&
    !Object.values(facets ?? {}).some((counts) => counts.length > 0) &&
    !Object.values(search.filters).some((values) => values && values.length > 0) &&
    search.yearFrom === undefined &&
    search.yearTo === undefined;
  return (
    <aside id={id} className={`facets ${open ? 'facets--open' : ''}`} aria-label="Filters">
      {nothingToFilter && <p className="muted facets__empty">No filters for these results.</p>}
      {(Object.keys(FACET_TITLES) as FacetName[]).map((name) =>
        name === 'year' ? (
          <YearFacet key={name} counts={facets?.year ?? []} search={search} onYears={onYears} />
        ) : (
          <FacetGroup key={name} name={name} counts={facets?.[name] ?? []} selected={search.filters[name] ?? []} onToggle={onToggle} />
        ),
      )}
    </aside>
  );
}
