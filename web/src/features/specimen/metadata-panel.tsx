import { isFraudStatus, type Specimen } from '@exemplar/specimens-schema';
import type { ReactNode } from 'react';
import { StatusBadge } from '../../shared/ui/status-badge';
import { categoryLabel, classificationLabel, forgeryMethodLabel, issuingStateLabel } from '../../shared/vocabulary';
import { yearsText } from '../library/specimen-card';
import { formatTimestamp } from '../../shared/ui/format';

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

export { formatTimestamp };

export function MetadataPanel({ specimen }: { specimen: Specimen }) {
  const years = yearsText(specimen.issued);
  const p = specimen.provenance;
  return (
    <section className="panel" aria-labelledby="metadata-heading">
      <h2 id="metadata-heading">Details</h2>
      <dl className="facts">
        <Row term="Status">
          <StatusBadge status={specimen.status} />
        </Row>
        {specimen.forgeryMethods && specimen.forgeryMethods.length > 0 && <Row term="Forgery methods">{specimen.forgeryMethods.map(forgeryMethodLabel).join(', ')}</Row>}
        <Row term="Issuing state">{issuingStateLabel(specimen.issuingState)}</Row>
        <Row term="Category">
          {categoryLabel(specimen.documentCategory)}
          {specimen.documentCode ? ` (code ${specimen.documentCode})` : ''}
        </Row>
        {specimen.series && <Row term="Series">{specimen.series}</Row>}
        {years && <Row term="Issued">{years}</Row>}
        <Row term="Classification">
          <span className={`classification classification--${specimen.classification}`}>{classificationLabel(specimen.classification)}</span>
        </Row>
        {specimen.tags.length > 0 && (
          <Row term="Tags">
            <ul className="tags" aria-label="Tags">
              {specimen.tags.map((t) => (
                <li key={t} className="tag">
                  {t}
                </li>
              ))}
            </ul>
          </Row>
        )}
        {p?.source && <Row term="Source">{p.source}</Row>}
        {p?.seizedPlace && <Row term="Seized at">{p.seizedPlace}</Row>}
        {p?.seizedAt && <Row term="Seized on">{p.seizedAt}</Row>}
        {p?.caseReference && <Row term="Case reference">{p.caseReference}</Row>}
        <Row term="Updated">
          {formatTimestamp(specimen.updatedAt)} by {specimen.updatedBy}
        </Row>
        <Row term="Revision">{specimen.revision}</Row>
      </dl>
      {specimen.description && (
        <>
          <h3>Description</h3>
          <p className="prose">{specimen.description}</p>
        </>
      )}
      {isFraudStatus(specimen.status) && specimen.modusOperandi && (
        <>
          <h3>Modus operandi</h3>
          <p className="prose">{specimen.modusOperandi}</p>
        </>
      )}
      {specimen.notes && (
        <>
          <h3>Notes</h3>
          <p className="prose">{specimen.notes}</p>
        </>
      )}
    </section>
  );
}
