import { capturePages, validate, type Capture, type CaptureCreate } from '@exemplar/specimens-schema';
import { useRef, useState, type DragEvent } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isAbort, isApiError } from '../../shared/api/client';
import { Field } from '../../shared/ui/field';
import { afterFailedUpload, assignFiles, emptySlot, LightSlots, USUAL_LIGHTS, withProgress, type SlotState } from '../../shared/ui/image-slot';
import { lightLabel } from '../../shared/vocabulary';
import { fileProgress, uploadCapture } from './api';

export function CaptureUpload({ specimenId, onUploaded }: { specimenId: string; onUploaded: (capture: Capture) => void }) {
  const api = useApi();
  const [page, setPage] = useState('data-page');
  const [pageNumber, setPageNumber] = useState('1');
  const [dpi, setDpi] = useState('');
  const [device, setDevice] = useState('');
  const [capturedAt, setCapturedAt] = useState('');
  const [slots, setSlots] = useState<SlotState[]>(USUAL_LIGHTS.map(emptySlot));
  const [uploading, setUploading] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [done, setDone] = useState<Capture | null>(null);
  const controller = useRef<AbortController | null>(null);

  const setSlot = (light: string, change: Partial<SlotState>) => setSlots((all) => all.map((s) => (s.light === light ? { ...s, ...change } : s)));

  const assign = (files: File[], target?: string) => {
    setDone(null);
    setErrors([]);
    setSlots((all) => assignFiles(all, files, target));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const files = [...e.dataTransfer.files];
    if (files.length && !uploading) assign(files);
  };

  const captureJson = (): CaptureCreate => {
    const body: Record<string, unknown> = { page: page === 'page-N' ? `page-${pageNumber.trim()}` : page };
    if (dpi.trim()) body['dpi'] = /^\d+$/.test(dpi.trim()) ? Number(dpi.trim()) : dpi.trim();
    if (device.trim()) body['device'] = device.trim();
    if (capturedAt) {
      const d = new Date(capturedAt);
      body['capturedAt'] = Number.isNaN(d.getTime()) ? capturedAt : d.toISOString();
    }
    return body as unknown as CaptureCreate;
  };

  const upload = async () => {
    const chosen = slots.filter((s): s is SlotState & { file: File } => s.file !== null);
    const capture = captureJson();
    const problems: string[] = [];
    const check = validate('capture-create', capture);
    if (!check.ok) problems.push(...check.errors.map((i) => `${i.path.slice(1) || 'capture'} ${i.message}`));
    if (chosen.length === 0) problems.push('Choose at least one image.');
    setErrors(problems);
    if (problems.length) return;

    const c = new AbortController();
    controller.current = c;
    setUploading(true);
    setDone(null);
    setSlots((all) => all.map((s) => ({ ...s, progress: 0, error: null })));
    const sizes = chosen.map((s) => s.file.size);
    const lights = chosen.map((s) => s.light);
    try {
      const result = await uploadCapture(
        api,
        specimenId,
        capture,
        chosen.map((s) => ({ lightSource: s.light, file: s.file })),
        ({ loaded, total }) => {
          const each = fileProgress(sizes, loaded, total);
          setSlots(withProgress(lights, each));
        },
        c.signal,
      );
      setDone(result);
      setSlots((all) => all.map((s) => ({ ...s, file: null, progress: 0 })));
      onUploaded(result);
    } catch (err) {
      if (isAbort(err)) {
        setErrors(['The upload was cancelled; nothing was stored.']);
      } else {
        const issues = isApiError(err) ? err.issues.map((i) => `${i.path || 'capture'} ${i.message}`) : [];
        setErrors([`The capture was not stored: ${errorMessage(err)}`, ...issues]);
      }
      setSlots(afterFailedUpload(err));
    } finally {
      setUploading(false);
      controller.current = null;
    }
  };

  const chosenCount = slots.filter((s) => s.file).length;
  const chosenBytes = slots.reduce((a, s) => a + (s.file?.size ?? 0), 0);
  const overall = chosenBytes > 0 ? slots.reduce((a, s) => a + s.progress * (s.file?.size ?? 0), 0) / chosenBytes : 0;

  return (
    <section className="panel capture-upload" aria-labelledby="upload-heading" id="captures" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <h2 id="upload-heading">Upload a capture</h2>
      <p className="muted">
        The images of one page taken in one sitting, without moving the document: one image per light source. Drop several files at once to fill the slots
        whose light-source id their names contain.
      </p>
      <div className="form-grid">
        <Field label="Page">
          {(p) => (
            <select {...p} value={page} onChange={(e) => setPage(e.target.value)} disabled={uploading}>
              {capturePages.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
              <option value="page-N">Booklet page number…</option>
            </select>
          )}
        </Field>
        {page === 'page-N' && (
          <Field label="Page number">
            {(p) => <input {...p} type="text" inputMode="numeric" value={pageNumber} onChange={(e) => setPageNumber(e.target.value)} disabled={uploading} />}
          </Field>
        )}
        <Field label="Resolution (dpi)">
          {(p) => <input {...p} type="text" inputMode="numeric" value={dpi} onChange={(e) => setDpi(e.target.value)} disabled={uploading} />}
        </Field>
        <Field label="Device">
          {(p) => <input {...p} type="text" value={device} onChange={(e) => setDevice(e.target.value)} placeholder="e.g. VSC 8000" disabled={uploading} />}
        </Field>
        <Field label="Captured at">
          {(p) => <input {...p} type="datetime-local" value={capturedAt} onChange={(e) => setCapturedAt(e.target.value)} disabled={uploading} />}
        </Field>
      </div>

      <LightSlots
        slots={slots}
        setSlots={setSlots}
        fixed={USUAL_LIGHTS}
        disabled={uploading}
        listLabel="Images by light source"
        filesLabel="Add several image files"
        onAssign={assign}
        onClear={(light) => setSlot(light, { file: null })}
      >
        <span className="spacer" />
        {uploading && (
          <>
            <progress max={1} value={overall} aria-label="Upload of the capture" className="upload-progress" />
            <button type="button" className="button" onClick={() => controller.current?.abort()}>
              Cancel upload
            </button>
          </>
        )}
        <button type="button" className="button button--primary" onClick={() => void upload()} disabled={uploading || chosenCount === 0}>
          {uploading ? 'Uploading…' : `Upload capture (${chosenCount} image${chosenCount === 1 ? '' : 's'})`}
        </button>
      </LightSlots>

      {errors.length > 0 && (
        <div className="state state--error" role="alert">
          {errors.map((e, i) => (
            <p key={i}>{e}</p>
          ))}
        </div>
      )}
      {done && (
        <div className="state notice-box" role="status">
          <strong>Capture stored: {done.images.length} image{done.images.length === 1 ? '' : 's'}</strong>
          <ul className="stored-list">
            {done.images.map((im) => (
              <li key={im.lightSource}>
                {lightLabel(im.lightSource)}: {im.width} × {im.height} px, SHA-256 <code className="sha">{im.sha256}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
