import { Readable } from 'node:stream';
import { ExemplarError } from './errors';
import { readStream } from './read-stream';

/** A stream of `count` chunks of `size` bytes that records how many were pulled and whether it was destroyed. */
function counted(count: number, size: number) {
  const state = { pulled: 0, destroyed: false };
  const stream = new Readable({
    highWaterMark: size,
    read() {
      if (state.pulled === count) return void this.push(null);
      this.push(Buffer.alloc(size, state.pulled % 256));
      state.pulled += 1;
    },
  });
  stream.on('close', () => (state.destroyed = true));
  return { stream, state };
}

describe('readStream', () => {
  it('reads Buffers, strings and Uint8Arrays whole, in order', async () => {
    const got = await readStream(Readable.from([Buffer.from('ab'), 'cé', new Uint8Array([0x64])], { objectMode: true }));
    expect(got.toString('utf8')).toBe('abcéd');
    expect((await readStream(Readable.from([]))).length).toBe(0);
  });

  it('accepts exactly maxBytes', async () => {
    const { stream } = counted(4, 1000);
    expect((await readStream(stream, { maxBytes: 4000 })).length).toBe(4000);
  });

  it('over maxBytes: PAYLOAD_TOO_LARGE by default, and stops reading the stream', async () => {
    const { stream, state } = counted(1000, 1000);
    const err = await readStream(stream, { maxBytes: 2500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExemplarError);
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413, details: { maxBytes: 2500 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.destroyed).toBe(true);
    expect(state.pulled).toBeLessThan(10);
  });

  it("throws the caller's error when given", async () => {
    const { stream } = counted(10, 100);
    const tooLarge = (max: number) => new ExemplarError('CSV_TOO_LARGE', `over ${max}`, { maxBytes: max });
    await expect(readStream(stream, { maxBytes: 150, tooLarge })).rejects.toMatchObject({ code: 'CSV_TOO_LARGE', message: 'over 150' });
  });
});
