import { mapSettled, WorkLimiter } from './ingest-work';

/** A promise with its resolve exposed, so a test decides when work ends. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkLimiter', () => {
  it('runs at most `limit` at once and starts waiters in the order they came', async () => {
    const limiter = new WorkLimiter(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open();
    gates[2]?.open();
    gates[3]?.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  });

  it('frees the slot when the work fails', async () => {
    const limiter = new WorkLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'free')).resolves.toBe('free');
  });
});

describe('mapSettled', () => {
  it('returns results in item order whatever order they finish in', async () => {
    const delays = [30, 0, 10];
    const out = await mapSettled(delays, 3, async (ms, i) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return i * 10;
    });
    expect(out).toEqual([0, 10, 20]);
  });

  it('throws only after every item has stopped, and throws the earliest item’s failure', async () => {
    const finished: number[] = [];
    const err = await mapSettled([0, 1, 2, 3], 2, async (i) => {
      await new Promise((resolve) => setTimeout(resolve, i === 3 ? 40 : 5));
      finished.push(i);
      if (i === 2 || i === 1) throw new Error(`item ${i}`);
      return i;
    }).catch((e: unknown) => e);
    expect(err).toEqual(new Error('item 1'));
    expect([...finished].sort()).toEqual([0, 1, 2, 3]);
  });

  it('keeps to the limit', async () => {
    let active = 0;
    let peak = 0;
    await mapSettled(Array.from({ length: 12 }, (_, i) => i), 3, async () => {
      peak = Math.max(peak, ++active);
      await tick();
      active--;
    });
    expect(peak).toBe(3);
  });
});
