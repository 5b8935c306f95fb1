/**
 * Reading zip archives entry by entry with yauzl (`lazyEntries: true`): the
 * exhibit bundle verifier and the exchange package reader both walk an
 * archive this way, so that a damaged or hostile archive is met one entry at
 * a time rather than all at once.
 */
import type yauzl from 'yauzl';

/** The next entry of a zip opened with `lazyEntries`, or null at the end; rejects on a damaged archive. */
export function nextZipEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}
