import type { Specimen } from '@exemplar/specimens-schema';
import { useCallback, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { isNotFound } from '../../shared/api/client';
import { useCan } from '../../shared/auth/session';
import { imagePaths } from '../../shared/api/images';
import { useResource } from '../../shared/api/use-resource';
import { formatTimestamp } from '../../shared/ui/format';
import { StatusBadge } from '../../shared/ui/status-badge';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { categoryLabel, issuingStateShortLabel, lightLabel, pageLabel } from '../../shared/vocabulary';
import { getSpecimen } from './api';
import { CaptureView, orderedImages } from './capture-view';
import { FraudLinks } from './fraud-links';
import { ImageFacts } from './image-facts';
import { MetadataPanel } from './metadata-panel';
import { createSpecimenViewStore } from './view-store';

export function SpecimenPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const specimen = useResource(id, (signal) => getSpecimen(api, id, signal));
  useDocumentTitle(specimen.data?.title);

  if (specimen.status === 'loading' && !specimen.data) return <LoadingState label="Loading the specimen…" />;
  if (specimen.status === 'error' && !specimen.data) {
    if (isNotFound(specimen.error)) {
      return (
        <EmptyState title="No such specimen">
          <p>
            It may have been deleted. <Link to="/">Search the library</Link>
          </p>
        </EmptyState>
      );
    }
    return <ErrorState title="The specimen could not be loaded" error={specimen.error} onRetry={specimen.reload} />;
  }
  if (!specimen.data) return null;
  // Keyed by id: another specimen starts with a fresh view (zoom, pan, zone toggles).
  return <SpecimenDetail key={specimen.data.id} specimen={specimen.data} />;
}

function SpecimenDetail({ specimen }: { specimen: Specimen }) {
  const api = useApi();
  const can = useCan();
  const [params, setParams] = useSearchParams();
  // One view store per specimen page: zoom and pan survive light and capture switches.
  const [store] = useState(createSpecimenViewStore);
  const captures = specimen.captures.filter((c) => c.images.length > 0);
  const capture = captures.find((c) => c.id === params.get('capture')) ?? captures[0];
  const images = capture ? orderedImages(capture) : [];
  const image = images.find((i) => i.lightSource === params.get('light')) ?? images[0];

  const setLight = useCallback(
    (light: string) =>
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          next.set('light', light);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  const setCapture = (captureId: string) => {
    const next = new URLSearchParams(params);
    next.set('capture', captureId);
    setParams(next, { replace: true });
  };

  return (
    <article className="specimen">
      <header className="specimen__header">
        <div>
          <h1>{specimen.title}</h1>
          <p className="specimen__subtitle">
            <StatusBadge status={specimen.status} /> {issuingStateShortLabel(specimen.issuingState)} · {categoryLabel(specimen.documentCategory)}
            {specimen.series ? ` · ${specimen.series}` : ''}
          </p>
        </div>
        <div className="specimen__actions">
          {can('comparisons:submit') && (
            <Link className="button" to={`/compare?reference=${encodeURIComponent(specimen.id)}`}>
              Compare a document with this
            </Link>
          )}
          {can('specimens:write') && (
            <Link className="button" to={`/specimens/${specimen.id}/edit`}>
              Edit
            </Link>
          )}
        </div>
      </header>

      <div className="specimen__layout">
        <div className="specimen__main">
          {captures.length > 1 && (
            <div className="capture-tabs" role="group" aria-label="Captures">
              {captures.map((c) => {
                const thumb = orderedImages(c)[0];
                return (
                  <button key={c.id} type="button" className="capture-tab" aria-pressed={c.id === capture?.id} onClick={() => setCapture(c.id)}>
                    {thumb && <img src={api.url(imagePaths.thumbnail(thumb.sha256))} alt="" />}
                    <span>{pageLabel(c.page)}</span>
                    <span className="muted">{c.images.map((i) => lightLabel(i.lightSource)).join(', ')}</span>
                  </button>
                );
              })}
            </div>
          )}
          {capture && image ? (
            <CaptureView key={capture.id} capture={capture} light={image.lightSource} onLightChange={setLight} store={store} />
          ) : (
            <EmptyState title="No images yet">
              {can('specimens:write') && (
                <p>
                  <Link to={`/specimens/${specimen.id}/edit#captures`}>Upload a capture</Link> to see this specimen under its light sources.
                </p>
              )}
            </EmptyState>
          )}
        </div>
        <div className="specimen__side">
          {image && <ImageFacts image={image} />}
          <MetadataPanel specimen={specimen} />
          <FraudLinks specimen={specimen} />
          {capture && (
            <section className="panel" aria-labelledby="capture-heading">
              <h2 id="capture-heading">Capture</h2>
              <dl className="facts">
                <dt>Page</dt>
                <dd>{pageLabel(capture.page)}</dd>
                {capture.device && (
                  <>
                    <dt>Device</dt>
                    <dd>{capture.device}</dd>
                  </>
                )}
                {capture.dpi && (
                  <>
                    <dt>Resolution</dt>
                    <dd>{capture.dpi} dpi</dd>
                  </>
                )}
                {capture.capturedAt && (
                  <>
                    <dt>Captured</dt>
                    <dd>{formatTimestamp(capture.capturedAt)}</dd>
                  </>
                )}
              </dl>
            </section>
          )}
        </div>
      </div>
    </article>
  );
}
