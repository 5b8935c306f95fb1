import { useEffect, useState, type Dispatch, type DragEvent, type ReactNode, type SetStateAction } from 'react';
import { errorMessage, isAbort, isApiError } from '../api/client';
import { byLightOrder, lightLabel, lightSources } from '../vocabulary';

/** The usual examination set of light sources; any other can be added. */
export const USUAL_LIGHTS: readonly string[] = ['white', 'uv-365', 'ir-870'];

export const IMAGE_ACCEPT = 'image/jpeg,image/png,image/tiff,image/webp,.tif,.tiff';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * The slot a file belongs to, from its name ("page1_uv-365.tif" → uv-365); the
 * longest id wins so "ir-870" beats "ir". Failing an id, the short names
 * scanners and people use, as whole words: "uv365" → uv-365, "uv" or "ir" →
 * the one UV or IR slot (none when several could be meant), "vis" or
 * "visible" → white.
 */
export function slotForFileName(name: string, slots: string[]): string | undefined {
  const lower = name.toLowerCase();
  const byId = [...slots].sort((a, b) => b.length - a.length).find((id) => lower.includes(id));
  if (byId) return byId;
  const words = lower.replace(/\.[a-z0-9]+$/, '').split(/[^a-z0-9]+/);
  const only = (prefix: string) => {
    const matching = slots.filter((id) => id.startsWith(prefix));
    return matching.length === 1 ? matching[0] : undefined;
  };
  for (const word of words) {
    const withBand = /^(uv|ir)(\d{3})$/.exec(word);
    if (withBand && slots.includes(`${withBand[1]}-${withBand[2]}`)) return `${withBand[1]}-${withBand[2]}`;
    if (word === 'uv' || word === 'ir') return only(`${word}-`);
    if ((word === 'vis' || word === 'visible') && slots.includes('white')) return 'white';
  }
  return undefined;
}

export interface SlotState {
  light: string;
  file: File | null;
  /** 0..1 while uploading. */
  progress: number;
  error: string | null;
}

export const emptySlot = (light: string): SlotState => ({ light, file: null, progress: 0, error: null });

/**
 * Assigns files to slots: by the light source their name names, then the
 * others to slots still empty (so an unnamed file never takes a slot a named
 * one claims, nor replaces a file); `target` forces one slot.
 */
export function assignFiles(slots: SlotState[], files: File[], target?: string): SlotState[] {
  const next = slots.map((s) => ({ ...s }));
  const put = (light: string | undefined, file: File) => {
    const slot = next.find((s) => s.light === light);
    if (!slot) return;
    // A file the browser knows is no accepted image is refused at its slot now, not after the whole upload; the slot keeps what it had.
    if (isRefusedType(file)) Object.assign(slot, { error: `${file.name} is not an image the laboratory accepts: only JPEG, PNG, TIFF and WebP images are` });
    else Object.assign(slot, { file, progress: 0, error: null });
  };
  if (target) {
    if (files[0]) put(target, files[0]);
    return next;
  }
  const unnamed: File[] = [];
  for (const file of files) {
    const light = slotForFileName(file.name, next.map((s) => s.light));
    if (light) put(light, file);
    else unnamed.push(file);
  }
  // An unnamed file that is no image takes no slot.
  for (const file of unnamed) if (!isRefusedType(file)) put(next.find((s) => !s.file)?.light, file);
  return next;
}

/** The media types of IMAGE_ACCEPT (its other entries are file extensions). */
const ACCEPTED_TYPES = new Set(IMAGE_ACCEPT.split(',').filter((t) => t.includes('/')));

/** The browser names the file's type and it is none the API takes (an empty type is left to the API, which sniffs the bytes). */
function isRefusedType(file: File): boolean {
  return file.type !== '' && !ACCEPTED_TYPES.has(file.type);
}

/** Sets each chosen slot's share of an upload's progress (`each[i]` for `lights[i]`); other slots stay. */
export const withProgress = (lights: string[], each: number[]) => (all: SlotState[]): SlotState[] =>
  all.map((s) => {
    const i = lights.indexOf(s.light);
    return i === -1 ? s : { ...s, progress: each[i] ?? 0 };
  });

/** The slot an upload's error names: the API names a bad image by its part (`lightSource`, or `field` for a multipart part). */
export function slotOfError(err: unknown): string | undefined {
  if (!isApiError(err)) return undefined;
  const named = err.details['lightSource'] ?? err.details['field'];
  return typeof named === 'string' ? named : undefined;
}

/** The slots after a failed upload: progress cleared, and the error shown on the slot it names (a cancel names none). */
export const afterFailedUpload = (err: unknown) => (all: SlotState[]): SlotState[] => {
  const slot = isAbort(err) ? undefined : slotOfError(err);
  return all.map((s) => ({ ...s, progress: 0, ...(s.light === slot ? { error: errorMessage(err) } : {}) }));
};

function usePreviewUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    // Browsers do not show TIFF; those slots show the name only.
    if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      setUrl(null);
      return;
    }
    const u = URL.createObjectURL(file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [file]);
  return url;
}

export interface ImageSlotProps {
  slot: SlotState;
  disabled?: boolean;
  uploading?: boolean;
  /** Offer the device camera (tablets, phones). */
  camera?: boolean;
  /** The slot can be removed when empty (added light sources). */
  removable?: boolean;
  onFiles: (files: File[]) => void;
  onClear: () => void;
  onRemove?: () => void;
}

/** One light source's image: drop it, choose it, or take it with the camera; shows progress and errors. */
export function ImageSlot({ slot, disabled, uploading, camera, removable, onFiles, onClear, onRemove }: ImageSlotProps) {
  const [over, setOver] = useState(false);
  const preview = usePreviewUrl(slot.file);
  // The preview the browser could not draw: a damaged file, or not the image its name and type say.
  const [unreadable, setUnreadable] = useState<string | null>(null);
  const name = lightLabel(slot.light);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    const files = [...e.dataTransfer.files];
    if (files.length && !disabled) onFiles(files.slice(0, 1));
  };
  return (
    <li
      className={`slot ${slot.file ? 'slot--filled' : ''} ${over ? 'slot--over' : ''} ${slot.error ? 'slot--error' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-light={slot.light}
    >
      <span className="slot__light">{name}</span>
      {preview &&
        (unreadable === preview ? (
          <span className="slot__warning" role="status">
            No preview: this browser cannot read the file as an image (it may be damaged, or not the image its name says). The laboratory checks it when it is sent.
          </span>
        ) : (
          <img className="slot__preview" src={preview} alt={`Chosen ${name} image`} onError={() => setUnreadable(preview)} />
        ))}
      {slot.file ? (
        <span className="slot__file">
          {slot.file.name} <span className="muted">({formatBytes(slot.file.size)})</span>
        </span>
      ) : (
        <span className="slot__hint muted">Drop an image here</span>
      )}
      <span className="slot__actions">
        <label className="button button--small">
          {slot.file ? 'Replace…' : 'Choose file…'}
          <input
            type="file"
            accept={IMAGE_ACCEPT}
            className="visually-hidden"
            aria-label={`Image for ${name}`}
            disabled={disabled}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) onFiles([file]);
              e.target.value = '';
            }}
          />
        </label>
        {camera && (
          <label className="button button--small">
            Camera…
            <input
              type="file"
              accept="image/*"
              capture="environment"
              className="visually-hidden"
              aria-label={`Take the ${name} image with the camera`}
              disabled={disabled}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) onFiles([file]);
                e.target.value = '';
              }}
            />
          </label>
        )}
        {slot.file && !disabled && (
          <button type="button" className="link-button" aria-label={`Remove the ${name} image`} onClick={onClear}>
            Remove
          </button>
        )}
        {!slot.file && removable && !disabled && onRemove && (
          <button type="button" className="link-button" aria-label={`Remove the ${name} slot`} onClick={onRemove}>
            Remove slot
          </button>
        )}
      </span>
      {slot.file && (uploading || slot.progress > 0) && (
        <progress className="slot__progress" max={1} value={slot.progress} aria-label={`Upload of the ${name} image`}>
          {Math.round(slot.progress * 100)}%
        </progress>
      )}
      {slot.error && (
        <span className="field__error" role="alert">
          {slot.error}
        </span>
      )}
    </li>
  );
}

/** A select that adds a slot for a light source not listed yet. */
export function AddLightSlot({ present, disabled, onAdd }: { present: string[]; disabled?: boolean; onAdd: (light: string) => void }) {
  const unused = lightSources.filter((l) => !present.includes(l.id));
  if (unused.length === 0) return null;
  return (
    <label className="add-slot">
      <span>Add light source</span>
      <select value="" disabled={disabled} onChange={(e) => e.target.value && onAdd(e.target.value)}>
        <option value="">Choose…</option>
        {unused.map((l) => (
          <option key={l.id} value={l.id}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export interface LightSlotsProps {
  slots: SlotState[];
  setSlots: Dispatch<SetStateAction<SlotState[]>>;
  /** The usual light sources: their slots stay when empty; added ones may be removed. */
  fixed: readonly string[];
  disabled: boolean;
  camera?: boolean;
  /** Accessible names of the slot list and of the several-files input. */
  listLabel: string;
  filesLabel: string;
  /** Files into slots (`target` forces one); by default `assignFiles`. */
  onAssign?: (files: File[], target?: string) => void;
  /** Empties a slot; by default it becomes `emptySlot`. */
  onClear?: (light: string) => void;
  /** More controls at the end of the button row. */
  children?: ReactNode;
}

/** The per-light-source image slots in light order, with "add light source" and "add several files". */
export function LightSlots({ slots, setSlots, fixed, disabled, camera, listLabel, filesLabel, onAssign, onClear, children }: LightSlotsProps) {
  const assign = onAssign ?? ((files: File[], target?: string) => setSlots((all) => assignFiles(all, files, target)));
  const clear = onClear ?? ((light: string) => setSlots((all) => all.map((s) => (s.light === light ? emptySlot(light) : s))));
  return (
    <>
      <ul className="slots" aria-label={listLabel}>
        {[...slots]
          .sort((a, b) => byLightOrder(a.light, b.light))
          .map((slot) => (
            <ImageSlot
              key={slot.light}
              slot={slot}
              camera={camera}
              disabled={disabled}
              uploading={disabled}
              removable={!fixed.includes(slot.light)}
              onFiles={(files) => assign(files, slot.light)}
              onClear={() => clear(slot.light)}
              onRemove={() => setSlots((all) => all.filter((s) => s.light !== slot.light))}
            />
          ))}
      </ul>
      <div className="button-row">
        <AddLightSlot present={slots.map((s) => s.light)} disabled={disabled} onAdd={(light) => setSlots((all) => [...all, emptySlot(light)])} />
        <label className="button">
          Add files…
          <input
            type="file"
            multiple
            accept={IMAGE_ACCEPT}
            className="visually-hidden"
            aria-label={filesLabel}
            disabled={disabled}
            onChange={(e) => {
              assign([...(e.target.files ?? [])]);
              e.target.value = '';
            }}
          />
        </label>
        {children}
      </div>
    </>
  );
}
