/**
 * The MongoDB adapters' one translation of driver errors a client can act
 * on. A write whose write concern was not satisfied within `wtimeoutMS` (a
 * majority of the replica set unreachable) was applied on the primary but
 * not confirmed: it may be kept, or rolled back if that primary fails. It
 * becomes STORE_UNAVAILABLE (503, retry later) with `committed: 'unknown'`,
 * so that callers keep what such a write may reference (see
 * `mayHaveBeenWritten`). Other driver errors pass through unchanged (the
 * adapters read duplicate keys themselves; the rest are internal).
 */
import { MongoServerError, MongoWriteConcernError } from 'mongodb';
import { ExemplarError } from '../errors';

/** WriteConcernFailed (WriteConcernTimeout from 8.1): the server's code for a write concern not satisfied in time. */
const WRITE_CONCERN_FAILED = 64;
/** Seconds a client is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * A single write raises MongoWriteConcernError; insertMany (a bulk write)
 * raises MongoBulkWriteError with the write concern error's code.
 */
export function isWriteConcernFailure(err: unknown): boolean {
  if (err instanceof MongoWriteConcernError) return true;
  return err instanceof MongoServerError && (err.code === WRITE_CONCERN_FAILED || (err.errInfo as { wtimeout?: unknown } | undefined)?.wtimeout === true);
}

export function storeUnavailable(cause: unknown): ExemplarError {
  return new ExemplarError(
    'STORE_UNAVAILABLE',
    'The catalog database did not confirm the write in time (too few of its nodes answer). The change may or may not have been kept: check it before trying again.',
    { reason: 'WRITE_CONCERN_TIMEOUT', committed: 'unknown', retryAfterSeconds: RETRY_AFTER_SECONDS },
    { cause },
  );
}

/** The collection methods that write (and so wait on the write concern). */
const WRITES = new Set(['insertOne', 'insertMany', 'replaceOne', 'updateOne', 'updateMany', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete', 'bulkWrite']);

function translated<C extends object>(coll: C): C {
  return new Proxy(coll, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !WRITES.has(property) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          throw isWriteConcernFailure(err) ? storeUnavailable(err) : err;
        }
      };
    },
  });
}

/** `db` (a driver Db, or the stand-in's) whose collections' writes report a write concern failure as STORE_UNAVAILABLE. */
export function withStoreErrors<D extends { collection(name: string): object }>(db: D): D {
  return new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'collection' || typeof value !== 'function') return value;
      return (name: string, options?: unknown) => translated((value as (n: string, o?: unknown) => object).call(target, name, options));
    },
  });
}
