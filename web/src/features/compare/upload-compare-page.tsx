import type { IdentificationCandidate, IdentifyFilter, Specimen } from '@exemplar/specimens-schema';
import { useId, useRef, useState, type DragEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isAbort } from '../../shared/api/client';
import { imagePaths } from '../../shared/api/images';
import { useResource } from '../../shared/api/use-resource';
import { useActionError } from '../../shared/auth/use-action-error';
import { afterFailedUpload, assignFiles, emptySlot, LightSlots, USUAL_LIGHTS, withProgress, type SlotState } from '../../shared/ui/image-slot';
import { MrzLinesField, useMrzInput } from '../../shared/ui/mrz-field';
import { StatusBadge } from '../../shared/ui/status-badge';
import { ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { issuingStateShortLabel, lightLabel, pageLabel } from '../../shared/vocabulary';
import { fileProgress } from '../editor/api';
import { coverImage, searchSpecimens } from '../library/api';
import { getSpecimen } from '../specimen/api';
import { orderedImages } from '../specimen/capture-view';
import { identify, startComparison, type ReferenceChoice } from './api';

/** The capture of a specimen to compare with: the data page if it has images, else the first capture with images. */
export function defaultCapture(s: Specimen): string | undefined {
  return (s.captures.find((c) => c.page === 'data-page' && c.images.length > 0) ?? s.captures.find((c) => c.images.length > 0))?.id;
}

function ReferenceCard({ specimen, captureId, onCapture, onClear }: { specimen: Specimen; captureId: string | undefined; onCapture: (id: string) => void; onClear: () => void }) {
  const api = useApi();
  const captures = specimen.captures.filter((c) => c.images.length > 0);
  const capture = captures.find((c) => c.id === captureId);
  const thumb = capture ? orderedImages(capture)[0] : coverImage(specimen);
  return (
    <div className="reference-card" aria-label="Chosen reference">
      {thumb && <img src={api.url(imagePaths.thumbnail(thumb.sha256))} alt="" />}
      <div>
        <strong>
          <Link to={`/specimens/${specimen.id}`}>{specimen.title}</Link>
        </strong>{' '}
        <StatusBadge status={specimen.status} />
        <div className="muted">{issuingStateShortLabel(specimen.issuingState)}</div>
        {captures.length === 0 && <p className="error-text">This specimen has no images to compare with.</p>}
        {captures.length > 1 && (
          <label className="inline-field">
            Page{' '}
            <select value={captureId ?? ''} onChange={(e) => onCapture(e.target.value)}>
              {captures.map((c) => (
                <option key={c.id} value={c.id}>
                  {pageLabel(c.page)} ({c.images.map((i) => lightLabel(i.lightSource)).join(', ')})
                </option>
              ))}
            </select>
          </label>
        )}
        {capture && captures.length === 1 && (
          <div className="muted">
            {pageLabel(capture.page)}: {capture.images.map((i) => lightLabel(i.lightSource)).join(', ')}
          </div>
        )}
      </div>
      <button type="button" className="button button--small" onClick={onClear}>
        Change
      </button>
    </div>
  );
}

/** A candidate's image, from its specimen record (the candidate itself names only the capture and light). */
function CandidateThumb({ candidate }: { candidate: IdentificationCandidate }) {
  const api = useApi();
  const specimen = useResource(candidate.specimenId, (signal) => getSpecimen(api, candidate.specimenId, signal));
  const image =
    specimen.status === 'ready'
      ? specimen.data.captures.find((c) => c.id === candidate.captureId)?.images.find((i) => i.lightSource === candidate.lightSource)
      : undefined;
  return image ? <img src={api.url(imagePaths.thumbnail(image.sha256))} alt="" /> : <span className="candidate__no-image" />;
}

/** A library search whose results are picked as the reference (the upload page; a failed comparison's second try). */
export function ReferenceSearch({ onPick, label = 'Or search the library', pickLabel }: { onPick: (s: Specimen) => void; label?: string; pickLabel?: (s: Specimen) => string }) {
  const api = useApi();
  const [text, setText] = useState('');
  const id = useId();
  const results = useResource(text.trim().length >= 2 ? `q=${text.trim()}` : null, (signal) =>
    searchSpecimens(api, { q: text.trim(), filters: {}, sort: 'relevance' }, { limit: 8, signal }),
  );
  return (
    <div className="picker">
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      <input id={id} type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Title, series…" autoComplete="off" />
      {text.trim().length >= 2 && results.status === 'error' && <span className="field__error">{errorMessage(results.error)}</span>}
      {text.trim().length >= 2 && results.data && (
        <ul className="picker__results" aria-label="Matching specimens">
          {results.data.items.length === 0 && <li className="muted">No specimen matches.</li>}
          {results.data.items.map((s) => (
            <li key={s.id}>
              <button type="button" className="link-button" aria-label={pickLabel?.(s)} onClick={() => onPick(s)}>
                {s.title}
              </button>{' '}
              <StatusBadge status={s.status} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function UploadComparePage() {
  const api = useApi();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const referenceId = params.get('reference');
  const reference = useResource(referenceId, (signal) => getSpecimen(api, referenceId as string, signal));
  // The user's choice of page; until then (or when it is not a capture of this reference), the data page.
  const [captureChoice, setCaptureId] = useState<string | undefined>(undefined);
  const captureId =
    reference.status === 'ready'
      ? captureChoice && reference.data.captures.some((c) => c.id === captureChoice && c.images.length > 0)
        ? captureChoice
        : defaultCapture(reference.data)
      : undefined;
  const [slots, setSlots] = useState<SlotState[]>(USUAL_LIGHTS.map(emptySlot));
  const [notes, setNotes] = useState('');
  const mrz = useMrzInput();
  const [filter, setFilter] = useState<{ issuingState: string; documentCode: string }>({ issuingState: '', documentCode: '' });
  const [candidates, setCandidates] = useState<{ status: 'idle' | 'loading' | 'ready' | 'error'; items: IdentificationCandidate[]; searched?: number; error?: unknown }>({
    status: 'idle',
    items: [],
  });
  const [auto, setAuto] = useState(false);
  const [sending, setSending] = useState(false);
  const [progress, setProgress] = useState(0);
  const [error, setError] = useActionError();
  const controller = useRef<AbortController | null>(null);
  const notesId = useId();
  useDocumentTitle('Compare a questioned document');

  const chooseReference = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('reference', id);
    else next.delete('reference');
    setCaptureId(undefined);
    setAuto(false);
    setParams(next, { replace: true });
  };

  const chosen = slots.filter((s): s is SlotState & { file: File } => s.file !== null);
  const identifyImage = chosen.find((s) => s.light === 'white') ?? chosen[0];

  const findCandidates = async () => {
    if (!identifyImage) return;
    setCandidates({ status: 'loading', items: [] });
    const narrow: IdentifyFilter = {};
    if (filter.issuingState.trim()) narrow.issuingState = filter.issuingState.trim().toUpperCase() as IdentifyFilter['issuingState'];
    if (filter.documentCode.trim()) narrow.documentCode = filter.documentCode.trim().toUpperCase();
    try {
      const result = await identify(api, identifyImage.file, narrow);
      setCandidates({ status: 'ready', items: result.candidates, searched: result.searched });
    } catch (err) {
      setCandidates({ status: 'error', items: [], error: err });
    }
  };

  const referenceChoice: ReferenceChoice | null = auto ? 'auto' : reference.status === 'ready' && captureId ? { specimenId: reference.data.id, captureId } : null;

  const run = async () => {
    if (!referenceChoice || chosen.length === 0) return;
    const c = new AbortController();
    controller.current = c;
    setSending(true);
    setError(null);
    setProgress(0);
    const sizes = chosen.map((s) => s.file.size);
    const lights = chosen.map((s) => s.light);
    try {
      const { id } = await startComparison(
        api,
        { reference: referenceChoice, ...(notes.trim() ? { notes: notes.trim() } : {}), ...(mrz.lines.length ? { mrz: { lines: mrz.lines } } : {}) },
        chosen.map((s) => ({ lightSource: s.light, file: s.file })),
        ({ loaded, total }) => {
          setProgress(total > 0 ? loaded / total : 0);
          const each = fileProgress(sizes, loaded, total);
          setSlots(withProgress(lights, each));
        },
        c.signal,
      );
      navigate(`/comparisons/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!isAbort(err)) setError(err);
      setSending(false);
      setSlots(afterFailedUpload(err));
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    if (!sending) setSlots((all) => assignFiles(all, [...e.dataTransfer.files]));
  };

  return (
    <div className="upload-compare">
      <h1>Compare a questioned document</h1>
      <p className="muted">Add images of the suspect document under each light source you have, choose the reference it claims to be, and run the comparison.</p>

      <section className="panel" aria-labelledby="questioned-heading" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        <h2 id="questioned-heading">
          <span className="side-dot side-dot--questioned" aria-hidden="true" /> 1. Questioned document
        </h2>
        <div className="form-grid">
          <div className="field field--wide">
            <label htmlFor={notesId} className="field__label">
              Notes (optional)
            </label>
            <input id={notesId} type="text" value={notes} onChange={(e) => setNotes(e.target.value)} placeholder="e.g. case 2024-117, passport presented at gate 4" disabled={sending} />
            <span className="field__hint">They name the questioned document in the viewer.</span>
          </div>
          <MrzLinesField input={mrz} label="MRZ lines (optional)" rows={2} disabled={sending} hint="As printed, one line per row: the document is checked against the lost/stolen register." />
        </div>
        <LightSlots
          slots={slots}
          setSlots={setSlots}
          fixed={USUAL_LIGHTS}
          disabled={sending}
          camera
          listLabel="Questioned images by light source"
          filesLabel="Add several questioned image files"
        />
      </section>

      <section className="panel" aria-labelledby="reference-heading">
        <h2 id="reference-heading">
          <span className="side-dot side-dot--reference" aria-hidden="true" /> 2. Reference
        </h2>
        {referenceId && reference.status === 'loading' && <LoadingState label="Loading the reference…" />}
        {referenceId && reference.status === 'error' && <ErrorState title="The reference could not be loaded" error={reference.error} onRetry={reference.reload} />}
        {referenceId && reference.status === 'ready' && (
          <ReferenceCard specimen={reference.data} captureId={captureId} onCapture={setCaptureId} onClear={() => chooseReference(null)} />
        )}
        {!referenceId && (
          <div className="reference-choice">
            <div>
              <div className="identify-filter">
                <label className="inline-field">
                  Issuing state{' '}
                  <input type="text" size={4} value={filter.issuingState} onChange={(e) => setFilter((f) => ({ ...f, issuingState: e.target.value }))} placeholder="UTO" />
                </label>
                <label className="inline-field">
                  Document code{' '}
                  <input type="text" size={3} value={filter.documentCode} onChange={(e) => setFilter((f) => ({ ...f, documentCode: e.target.value }))} placeholder="P" />
                </label>
              </div>
              <button type="button" className="button" disabled={!identifyImage || candidates.status === 'loading'} onClick={() => void findCandidates()}>
                {candidates.status === 'loading' ? 'Looking for candidates…' : 'Suggest references from the questioned image'}
              </button>
              {!identifyImage && <p className="field__hint">Add a questioned image first (white light works best).</p>}
              {candidates.status === 'error' && <ErrorState title="No suggestions" error={candidates.error} onRetry={() => void findCandidates()} />}
              {candidates.status === 'ready' && (
                <ol className="candidates" aria-label="Suggested references">
                  {candidates.items.length === 0 && <li className="muted">No catalogued capture looks like this image ({candidates.searched ?? 0} searched).</li>}
                  {candidates.items.map((c) => (
                    <li key={`${c.specimenId}/${c.captureId}/${c.lightSource}`} className="candidate">
                      <CandidateThumb candidate={c} />
                      <span>
                        <strong>{c.title}</strong> <StatusBadge status={c.status} />
                        <br />
                        <span className="muted">
                          {pageLabel(c.page)} · {c.verified ? `match ${Math.round(c.score * 100)}% (${c.inliers} points agree)` : 'not verified'}
                        </span>
                      </span>
                      <button
                        type="button"
                        className="button button--small"
                        aria-label={`Use ${c.title} as reference`}
                        onClick={() => {
                          chooseReference(c.specimenId);
                          setCaptureId(c.captureId);
                        }}
                      >
                        Use as reference
                      </button>
                    </li>
                  ))}
                </ol>
              )}
            </div>
            <ReferenceSearch onPick={(s) => chooseReference(s.id)} />
            <label className="toggle">
              <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> Let the server choose the best match
            </label>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="run-heading">
        <h2 id="run-heading">3. Compare</h2>
        {error !== null && <ErrorState title="The comparison could not be started" error={error} />}
        <div className="button-row">
          <button type="button" className="button button--primary" disabled={sending || !referenceChoice || chosen.length === 0 || mrz.problem !== null} onClick={() => void run()}>
            {sending ? 'Uploading…' : `Compare ${chosen.length} image${chosen.length === 1 ? '' : 's'}`}
          </button>
          {sending && (
            <>
              <progress max={1} value={progress} aria-label="Upload of the questioned images" className="upload-progress" />
              <button type="button" className="button" onClick={() => controller.current?.abort()}>
                Cancel
              </button>
            </>
          )}
          {!referenceChoice && <span className="muted">Choose a reference first.</span>}
          {referenceChoice && chosen.length === 0 && <span className="muted">Add at least one questioned image.</span>}
        </div>
      </section>
    </div>
  );
}
