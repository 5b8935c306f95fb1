import { capturePages, validate, type Capture, type CaptureCreate } from '@exemplar/specimens-schema';
import { useRef, useState, type DragEvent } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isAbort, isApiError } from '../../shared/api/client';
import { Field } from '../../shared/ui/field';
import { byLightOrder, lightLabel, lightSources } from '../../shared/vocabulary';
import { formatBytes } from '../specimen/image-facts';
import { fileProgress, uploadCapture } from './api';

/** The usual examination set; any other light source can be added. */
export const DEFAULT_SLOTS = ['white', 'uv-365', 'ir-870'];

const ACCEPT = 'image/jpeg,image/png,image/tiff,image/webp,.tif,.tiff';

/** The slot a dropped file belongs to, from its name ("page1_uv-365.tif" → uv-365); longest id wins so "ir-870" beats "ir". */
export function slotForFileName(name: string, slots: string[]): string | undefined {
  const lower = name.toLowerCase();
  return [...slots].sort((a, b) => b.length - a.length).find((id) => lower.includes(id));
}

interface Slot {
  light: string;
  file: File | null;
  progress: number;
  error: string | null;
}

export function CaptureUpload({ specimenId, onUploaded }: { specimenId: string; onUploaded: (capture: Capture) => void }) {
  const api = useApi();
  const [page, setPage] = useState('data-page');
  const [pageNumber, setPageNumber] = useState('1');
  const [dpi, setDpi] = useState('');
  const [device, setDevice] = useState('');
  const [capturedAt, setCapturedAt] = useState('');
  const [slots, setSlots] = useState<Slot[]>(DEFAULT_SLOTS.map((light) => ({ light, file: null, progress: 0, error: null })));
  const [uploading, setUploading] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [done, setDone] = useState<Capture | null>(null);
  const controller = useRef<AbortController | null>(null);
  const [dragOver, setDragOver] = useState<string | null>(null);

  const setSlot = (light: string, change: Partial<Slot>) => setSlots((all) => all.map((s) => (s.light === light ? { ...s, ...change } : s)));
  const unused = lightSources.filter((l) => !slots.some((s) => s.light === l.id));

  const assign = (files: File[], target?: string) => {
    setDone(null);
    setErrors([]);
    setSlots((all) => {
      const next = all.map((s) => ({ ...s }));
      for (const file of files) {
        const light = target ?? slotForFileName(file.name, next.map((s) => s.light)) ?? next.find((s) => !s.file)?.light;
        const slot = next.find((s) => s.light === light);
        if (slot) Object.assign(slot, { file, progress: 0, error: null });
      }
      return next;
    });
  };

  const onDrop = (e: DragEvent, target?: string) => {
    e.preventDefault();
    e.stopPropagation();
    setDragOver(null);
    const files = [...e.dataTransfer.files];
    if (files.length) assign(target ? files.slice(0, 1) : files, target);
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
    const chosen = slots.filter((s): s is Slot & { file: File } => s.file !== null);
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
    try {
      const result = await uploadCapture(
        api,
        specimenId,
        capture,
        chosen.map((s) => ({ lightSource: s.light, file: s.file })),
        ({ loaded, total }) => {
          const each = fileProgress(sizes, loaded, total);
          setSlots((all) => all.map((s) => {
            const i = chosen.findIndex((x) => x.light === s.light);
            return i === -1 ? s : { ...s, progress: each[i] ?? 0 };
          }));
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
        const light = isApiError(err) ? err.details['lightSource'] : undefined;
        if (typeof light === 'string' && slots.some((s) => s.light === light)) setSlot(light, { error: errorMessage(err) });
        const issues = isApiError(err) ? err.issues.map((i) => `${i.path || 'capture'} ${i.message}`) : [];
        setErrors([`The capture was not stored: ${errorMessage(err)}`, ...issues]);
      }
      setSlots((all) => all.map((s) => ({ ...s, progress: 0 })));
    } finally {
      setUploading(false);
      controller.current = null;
    }
  };

  const chosenCount = slots.filter((s) => s.file).length;
  const overall = chosenCount ? slots.filter((s) => s.file).reduce((a, s) => a + s.progress * (s.file?.size ?? 0), 0) / slots.reduce((a, s) => a + (s.file?.size ?? 0), 0) : 0;

  return (
    <section className="panel capture-upload" aria-labelledby="upload-heading" id="captures" onDragOver={(e) => e.preventDefault()} onDrop={(e) => onDrop(e)}>
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

      <ul className="slots" aria-label="Images by light source">
        {[...slots].sort((a, b) => byLightOrder(a.light, b.light)).map((slot) => (
          <li
            key={slot.light}
            className={`slot ${slot.file ? 'slot--filled' : ''} ${dragOver === slot.light ? 'slot--over' : ''} ${slot.error ? 'slot--error' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragOver(slot.light);
            }}
            onDragLeave={() => setDragOver(null)}
            onDrop={(e) => onDrop(e, slot.light)}
            data-light={slot.light}
          >
            <span className="slot__light">{lightLabel(slot.light)}</span>
            {slot.file ? (
              <span className="slot__file">
                {slot.file.name} <span className="muted">({formatBytes(slot.file.size)})</span>
              </span>
            ) : (
              <span className="slot__hint muted">Drop an image here</span>
            )}
            <label className="button button--small slot__choose">
              {slot.file ? 'Replace…' : 'Choose file…'}
              <input
                type="file"
                accept={ACCEPT}
                className="visually-hidden"
                aria-label={`Image for ${lightLabel(slot.light)}`}
                disabled={uploading}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) assign([file], slot.light);
                  e.target.value = '';
                }}
              />
            </label>
            {slot.file && !uploading && (
              <button type="button" className="link-button" aria-label={`Remove the ${lightLabel(slot.light)} image`} onClick={() => setSlot(slot.light, { file: null })}>
                Remove
              </button>
            )}
            {!slot.file && !DEFAULT_SLOTS.includes(slot.light) && !uploading && (
              <button type="button" className="link-button" aria-label={`Remove the ${lightLabel(slot.light)} slot`} onClick={() => setSlots((all) => all.filter((s) => s.light !== slot.light))}>
                Remove slot
              </button>
            )}
            {slot.file && (uploading || slot.progress > 0) && (
              <progress className="slot__progress" max={1} value={slot.progress} aria-label={`Upload of the ${lightLabel(slot.light)} image`}>
                {Math.round(slot.progress * 100)}%
              </progress>
            )}
            {slot.error && (
              <span className="field__error" role="alert">
                {slot.error}
              </span>
            )}
          </li>
        ))}
      </ul>

      <div className="button-row">
        {unused.length > 0 && (
          <label className="add-slot">
            <span>Add light source</span>
            <select
              value=""
              disabled={uploading}
              onChange={(e) => {
                const light = e.target.value;
                if (light) setSlots((all) => [...all, { light, file: null, progress: 0, error: null }]);
              }}
            >
              <option value="">Choose…</option>
              {unused.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="button">
          Add files…
          <input
            type="file"
            multiple
            accept={ACCEPT}
            className="visually-hidden"
            aria-label="Add several image files"
            disabled={uploading}
            onChange={(e) => {
              assign([...(e.target.files ?? [])]);
              e.target.value = '';
            }}
          />
        </label>
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
      </div>

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
