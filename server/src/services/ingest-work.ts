/**
 * How the ingest spreads its work: how many images decode at once across the
 * whole process, and running a batch so that a failure is only reported once
 * every sibling has stopped — a clean-up that ran while a sibling was still
 * storing would miss what that sibling wrote.
 */

/** At most `limit` calls of `run` at once, started in the order they asked. */
export class WorkLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // The freed slot passes straight to the next waiter, so `active` never drops and rises again in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * `fn` over every item, at most `limit` at a time; waits for all of them to
 * finish, then returns the results in item order or throws the failure of
 * the earliest item that failed (the one a sequential loop would have met).
 */
export async function mapSettled<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const outcomes: Array<PromiseSettledResult<R>> = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        outcomes[i] = { status: 'fulfilled', value: await fn(items[i] as T, i) };
      } catch (reason) {
        outcomes[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return outcomes.map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });
}
