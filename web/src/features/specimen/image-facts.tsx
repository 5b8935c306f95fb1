import type { CaptureImage } from '@exemplar/specimens-schema';
import { useState } from 'react';
import { useApi } from '../../shared/api/api-context';
import { imagePaths } from '../../shared/api/images';
import { formatBytes } from '../../shared/ui/image-slot';
import { lightLabel } from '../../shared/vocabulary';

/** The original behind the current view: what it is, its SHA-256, and a byte-exact download. */
export function ImageFacts({ image }: { image: CaptureImage }) {
  const api = useApi();
  const [copied, setCopied] = useState(false);
  const ext = image.format === 'jpeg' ? 'jpg' : image.format;
  const fileName = image.originalName ?? `${image.sha256}.${ext}`;
  return (
    <section className="panel image-facts" aria-label={`Original image, ${lightLabel(image.lightSource)}`}>
      <h2>Original ({lightLabel(image.lightSource)})</h2>
      <dl className="facts">
        <dt>Size</dt>
        <dd>
          {image.width} × {image.height} px · {image.format.toUpperCase()} · {image.bitDepth}-bit · {formatBytes(image.bytes)}
        </dd>
        <dt>SHA-256</dt>
        <dd>
          <code className="sha" data-testid="image-sha256">
            {image.sha256}
          </code>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              void navigator.clipboard?.writeText(image.sha256).then(() => setCopied(true), () => setCopied(false));
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </dd>
      </dl>
      <a className="button" href={api.url(imagePaths.original(image.sha256))} download={fileName}>
        Download original
      </a>
    </section>
  );
}
