import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { isAbort, type ApiClient } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useActionError } from '../../shared/auth/use-action-error';
import { afterFailedUpload, assignFiles, emptySlot, LightSlots, USUAL_LIGHTS, withProgress, type SlotState } from '../../shared/ui/image-slot';
import { MrzLinesField, useMrzInput } from '../../shared/ui/mrz-field';
import { ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { getComparison, type ApiComparison } from '../compare/api';
import { fileProgress } from '../editor/api';
import { MrzCheck } from '../mrz/mrz-check';
import { submitRequest, URGENCIES, type NewRequest, type Urgency } from './api';

/** A comparison's stored questioned images as files, to send with a request without choosing (or photographing) them again. */
async function comparisonFiles(api: ApiClient, id: string, signal: AbortSignal): Promise<{ comparison: ApiComparison; files: { light: string; file: File }[] }> {
  const comparison = await getComparison(api, id, signal);
  const files = await Promise.all(
    Object.entries(comparison.questioned).flatMap(([light, q]) =>
      q
        ? [
            api.download(`/api/comparisons/${encodeURIComponent(comparison.id)}/questioned/${encodeURIComponent(light)}`, { signal }).then((d) => ({
              light,
              file: new File([d.bytes], q.originalName ?? `${light}.${q.format}`, { type: d.contentType }),
            })),
          ]
        : [],
    ),
  );
  return { comparison, files };
}

export function RequestVerificationPage() {
  useDocumentTitle('Request verification');
  const api = useApi();
  const navigate = useNavigate();
  const ids = { urgency: useId(), notes: useId(), location: useId() };
  const [slots, setSlots] = useState<SlotState[]>(USUAL_LIGHTS.map(emptySlot));
  const [urgency, setUrgency] = useState<Urgency>('routine');
  const [notes, setNotes] = useState('');
  const [location, setLocation] = useState('');
  const mrz = useMrzInput();
  const [doc, setDoc] = useState({ issuingState: '', documentCode: '', documentNumber: '' });
  const [sending, setSending] = useState(false);
  const [progress, setProgress] = useState(0);
  const [error, setError] = useActionError();
  const controller = useRef<AbortController | null>(null);
  // From a comparison page: its images, notes and MRZ lines, filled in once (the user may change them after).
  const [params] = useSearchParams();
  const fromComparison = params.get('comparison');
  const source = useResource(fromComparison, (signal) => comparisonFiles(api, fromComparison as string, signal));
  const filledFrom = useRef<string | null>(null);
  const setMrzText = mrz.setText;
  useEffect(() => {
    if (source.status !== 'ready' || filledFrom.current === source.data.comparison.id) return;
    const { comparison, files } = source.data;
    filledFrom.current = comparison.id;
    const lights = [...new Set([...USUAL_LIGHTS, ...files.map((f) => f.light)])];
    setSlots(lights.map((light) => ({ ...emptySlot(light), file: files.find((f) => f.light === light)?.file ?? null })));
    setNotes([comparison.request.notes?.trim(), `Comparison ${comparison.id}`].filter(Boolean).join('\n'));
    if (comparison.request.mrz) setMrzText(comparison.request.mrz.lines.join('\n'));
  }, [source, setMrzText]);

  const chosen = slots.filter((s): s is SlotState & { file: File } => s.file !== null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (chosen.length === 0 || mrz.problem) return;
    const request: NewRequest = { urgency };
    if (notes.trim()) request.notes = notes.trim();
    if (location.trim()) request.location = location.trim();
    if (mrz.lines.length) request.mrz = { lines: mrz.lines };
    const document = Object.fromEntries(
      Object.entries(doc)
        .map(([k, v]) => [k, v.trim().toUpperCase()])
        .filter(([, v]) => v),
    );
    if (Object.keys(document).length) request.document = document;

    const c = new AbortController();
    controller.current = c;
    setSending(true);
    setError(null);
    const sizes = chosen.map((s) => s.file.size);
    const lights = chosen.map((s) => s.light);
    try {
      const created = await submitRequest(
        api,
        request,
        chosen.map((s) => ({ lightSource: s.light, file: s.file })),
        ({ loaded, total }) => {
          setProgress(total > 0 ? loaded / total : 0);
          const each = fileProgress(sizes, loaded, total);
          setSlots(withProgress(lights, each));
        },
        c.signal,
      );
      navigate(`/verification/${encodeURIComponent(created.id)}`, { state: { submitted: true } });
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
    <form className="page" onSubmit={submit} noValidate aria-labelledby="request-title">
      <header className="page-head">
        <div>
          <h1 id="request-title">Request verification</h1>
          <p className="muted">Send images of the suspect document to the laboratory. An examiner answers within the time the urgency sets.</p>
        </div>
      </header>

      <section className="panel" aria-labelledby="images-heading" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        <h2 id="images-heading">1. Images of the document</h2>
        <p className="field__hint">Drop files on a light source, choose them, or take them with the tablet camera. Files named after a light source (…_uv-365.jpg) find their slot.</p>
        {fromComparison && source.status === 'loading' && <LoadingState label={`Loading the images of comparison ${fromComparison}…`} />}
        {fromComparison && source.status === 'error' && <ErrorState title={`The images of comparison ${fromComparison} could not be loaded`} error={source.error} onRetry={source.reload} />}
        {fromComparison && source.status === 'ready' && (
          <p className="notice" role="status">
            The images of comparison {source.data.comparison.id} are filled in below, with its notes and MRZ lines.
          </p>
        )}
        <LightSlots slots={slots} setSlots={setSlots} fixed={USUAL_LIGHTS} disabled={sending} camera listLabel="Images by light source" filesLabel="Add several image files" />
      </section>

      <section className="panel" aria-labelledby="details-heading">
        <h2 id="details-heading">2. Details</h2>
        <fieldset className="checkbox-group urgency-group">
          <legend className="field__label">Urgency</legend>
          {URGENCIES.map((u) => (
            <label key={u.id} className={`radio-row radio-row--${u.id}`}>
              <input type="radio" name="urgency" value={u.id} checked={urgency === u.id} onChange={() => setUrgency(u.id)} disabled={sending} />
              <span>
                <strong>{u.label}</strong> <span className="muted">— {u.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="form-grid">
          <div className="field field--wide">
            <label className="field__label" htmlFor={ids.notes}>
              Notes
            </label>
            <textarea id={ids.notes} rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} disabled={sending} placeholder="What made you suspicious, what you have checked" />
          </div>
          <div className="field">
            <label className="field__label" htmlFor={ids.location}>
              Location
            </label>
            <input id={ids.location} value={location} onChange={(e) => setLocation(e.target.value)} disabled={sending} placeholder="e.g. Port North, lane 4" />
          </div>
          <MrzLinesField
            input={mrz}
            label="MRZ lines (if readable)"
            disabled={sending}
            hint="One line per row, as printed (use < for the filler). The document is then checked against the lost/stolen register."
          >
            <MrzCheck lines={mrz.problem ? [] : mrz.lines} image={slots.find((s) => s.light === 'white')?.file ?? null} onRead={(read) => mrz.setText(read.join('\n'))} disabled={sending} />
          </MrzLinesField>
          <label className="field">
            <span className="field__label">Issuing state</span>
            <input value={doc.issuingState} onChange={(e) => setDoc((d) => ({ ...d, issuingState: e.target.value }))} disabled={sending} placeholder="UTO" maxLength={3} />
          </label>
          <label className="field">
            <span className="field__label">Document code</span>
            <input value={doc.documentCode} onChange={(e) => setDoc((d) => ({ ...d, documentCode: e.target.value }))} disabled={sending} placeholder="P" maxLength={2} />
          </label>
          <label className="field">
            <span className="field__label">Document number</span>
            <input value={doc.documentNumber} onChange={(e) => setDoc((d) => ({ ...d, documentNumber: e.target.value }))} disabled={sending} />
          </label>
        </div>
      </section>

      <section className="panel" aria-labelledby="send-heading">
        <h2 id="send-heading">3. Send</h2>
        {error !== null && <ErrorState title="The request was not sent" error={error} />}
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={sending || chosen.length === 0 || mrz.problem !== null}>
            {sending ? 'Sending…' : `Send request (${chosen.length} image${chosen.length === 1 ? '' : 's'})`}
          </button>
          {sending && (
            <>
              <progress max={1} value={progress} aria-label="Upload of the images" className="upload-progress" />
              <button type="button" className="button" onClick={() => controller.current?.abort()}>
                Cancel
              </button>
            </>
          )}
          {chosen.length === 0 && <span className="muted">Add at least one image.</span>}
        </div>
      </section>
    </form>
  );
}
