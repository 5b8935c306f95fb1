import path from 'node:path';
import { FsObjectStore } from './objects.fs';
import type { ObjectStore } from './objects.port';
import { S3ObjectStore, type S3ObjectStoreConfig } from './objects.s3';

export interface OpenObjectStoreConfig {
  /** S3 is used when this is given with an `endPoint`; otherwise the folder `<dataDir>/objects`. */
  s3?: S3ObjectStoreConfig | undefined;
  dataDir: string;
  /** Where the S3 adapter spools large bodies while hashing them; default `<dataDir>/tmp`. */
  tmpDir?: string | undefined;
}

/** The configured adapter, initialised (bucket or folders created when absent). */
export async function openObjectStore(config: OpenObjectStoreConfig): Promise<ObjectStore> {
  const store: ObjectStore = config.s3?.endPoint
    ? new S3ObjectStore({ ...config.s3, spoolDir: config.s3.spoolDir ?? config.tmpDir ?? path.join(config.dataDir, 'tmp') })
    : new FsObjectStore(path.join(config.dataDir, 'objects'));
  await store.init();
  return store;
}
