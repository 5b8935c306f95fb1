import type { Specimen } from '@exemplar/specimens-schema';
import { Link } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { imagePaths } from '../../shared/api/images';
import { StatusBadge } from '../../shared/ui/status-badge';
import { categoryLabel, issuingStateShortLabel } from '../../shared/vocabulary';
import { coverImage } from './api';

export function yearsText(issued: Specimen['issued']): string | undefined {
  if (!issued || (issued.from === undefined && issued.to === undefined)) return undefined;
  if (issued.from !== undefined && issued.to !== undefined) return issued.from === issued.to ? String(issued.from) : `${issued.from}–${issued.to}`;
  return issued.from !== undefined ? `since ${issued.from}` : `until ${issued.to}`;
}

export function SpecimenCard({ specimen }: { specimen: Specimen }) {
  const api = useApi();
  const image = coverImage(specimen);
  const years = yearsText(specimen.issued);
  return (
    <li className="card">
      <Link to={`/specimens/${specimen.id}`} className="card__link">
        <div className="card__thumb">
          {image ? (
            <img src={api.url(imagePaths.thumbnail(image.sha256))} alt="" loading="lazy" width={image.width} height={image.height} />
          ) : (
            <span className="card__no-image">No images yet</span>
          )}
        </div>
        <div className="card__body">
          <span className="card__title">{specimen.title}</span>
          <StatusBadge status={specimen.status} />
          <span className="card__meta">
            {issuingStateShortLabel(specimen.issuingState)} · {categoryLabel(specimen.documentCategory)}
            {specimen.documentCode ? ` ${specimen.documentCode}` : ''}
            {specimen.series ? ` · ${specimen.series}` : ''}
            {years ? ` · ${years}` : ''}
          </span>
        </div>
      </Link>
    </li>
  );
}
