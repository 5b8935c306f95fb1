import { useState } from 'react';
import { useApi } from '../api/api-context';
import { errorMessage } from '../api/client';
import { saveBytes, sha256Hex } from '../api/save-file';
import { formatBytes } from './image-slot';

type DownloadState =
  | { status: 'idle' }
  | { status: 'busy' }
  | { status: 'done'; fileName: string; bytes: number; sha256: string; announced: string | null }
  | { status: 'error'; message: string };

/**
 * Downloads a file from the API and shows the SHA-256 of the bytes received,
 * checked against the digest the server announces in `shaHeader` — so what
 * is saved for court is known to be what the server produced. The plain link
 * to the API stays beside it for saving with the browser directly.
 */
export function VerifiedDownload({ path, label, shaHeader, disabled }: { path: string; label: string; shaHeader?: string; disabled?: boolean }) {
  const api = useApi();
  const [state, setState] = useState<DownloadState>({ status: 'idle' });

  const download = async () => {
    setState({ status: 'busy' });
    try {
      const file = await api.download(path);
      const sha256 = await sha256Hex(file.bytes);
      const announced = shaHeader ? file.header(shaHeader) : null;
      saveBytes(file.bytes, file.fileName, file.contentType);
      setState({ status: 'done', fileName: file.fileName, bytes: file.bytes.byteLength, sha256, announced });
    } catch (err) {
      setState({ status: 'error', message: errorMessage(err) });
    }
  };

  return (
    <div className="download">
      <div className="download__actions">
        <button type="button" className="button" onClick={download} disabled={disabled || state.status === 'busy'}>
          {state.status === 'busy' ? `Preparing ${label}…` : `Download ${label}`}
        </button>
        {/* A disabled download has no link around it either: the link would only lead to the API's refusal. */}
        {!disabled && (
          <a className="download__link" href={api.url(path)} aria-label={`Direct link to the ${label}`}>
            direct link
          </a>
        )}
      </div>
      {state.status === 'done' && (
        <div className="download__result" role="status" aria-label={`${label} downloaded`}>
          <span>
            {state.fileName} ({formatBytes(state.bytes)})
          </span>
          <span>
            SHA-256 <code className="sha">{state.sha256}</code>
          </span>
          {state.announced !== null &&
            (state.announced.toLowerCase() === state.sha256 ? (
              <span className="download__ok">✓ matches the server’s digest</span>
            ) : (
              <strong className="error-text">✗ does not match the server’s digest {state.announced}: do not use this copy</strong>
            ))}
        </div>
      )}
      {state.status === 'error' && (
        <p className="field__error" role="alert">
          The {label} could not be downloaded: {state.message}
        </p>
      )}
    </div>
  );
}
