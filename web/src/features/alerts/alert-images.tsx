import type { AlertCheck, Specimen } from '@exemplar/specimens-schema';
import { useApi } from '../../shared/api/api-context';
import { imagePaths } from '../../shared/api/images';
import { lightLabel } from '../../shared/vocabulary';
import { ZoneOverlay } from '../specimen/zone-overlay';

/** A check's image from the linked specimen, with the zones it names drawn on it. */
export function CheckImage({ check, specimen }: { check: AlertCheck; specimen: Specimen | undefined }) {
  const api = useApi();
  if (!check.image) return null;
  const capture = specimen?.captures.find((c) => c.id === check.image!.captureId);
  const image = capture?.images.find((i) => i.lightSource === check.image!.lightSource);
  const label = lightLabel(check.image.lightSource);
  if (!capture || !image) return <p className="muted small">The image ({label}) is not available to you.</p>;
  const zones = capture.zones.filter((z) => check.zoneIds?.includes(z.id));
  return (
    <figure className="check-image">
      <div className="check-image__frame" style={{ aspectRatio: `${image.width} / ${image.height}` }}>
        <img src={api.url(imagePaths.preview(image.sha256))} alt={`Reference image under ${label}`} />
        <svg viewBox={`0 0 ${image.width} ${image.height}`} preserveAspectRatio="none" aria-hidden="true" className="check-image__zones">
          <ZoneOverlay zones={zones} light={check.image.lightSource} highlighted={null} />
        </svg>
      </div>
      <figcaption className="small muted">
        {label}
        {zones.length > 0 ? ` · ${zones.length} zone${zones.length === 1 ? '' : 's'} marked` : ''}
      </figcaption>
    </figure>
  );
}
