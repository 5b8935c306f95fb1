/**
 * The webhook client against a real HTTP server on 127.0.0.1: it gives up
 * after its tries (and says so in the log), and closing it stops the
 * retries at once without leaving a delivery pending.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhookBody, VerificationWebhook } from './verification-webhook';

let server: http.Server;
let url: string;
let calls: { body: string; signature: string | undefined }[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-exemplar-signature'] as string | undefined });
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

beforeEach(() => {
  calls = [];
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const event = { event: 'verification.answer', id: 'AbCdEf123456', status: 'answered', at: '2026-11-28T03:00:00.000Z' };

it('tries a failing receiver the configured number of times, then logs that it gave up', async () => {
  const warnings: object[] = [];
  const hook = new VerificationWebhook({ url, secret: 'a-secret-of-16-chars', retryMs: 5, attempts: 3, log: { warn: (obj) => warnings.push(obj) } });
  hook.notify(event);
  await hook.drain();
  expect(calls).toHaveLength(3);
  for (const c of calls) {
    expect(JSON.parse(c.body)).toEqual(event);
    expect(c.signature).toBe(signWebhookBody(c.body, 'a-secret-of-16-chars'));
  }
  expect(warnings).toEqual([expect.objectContaining({ event: 'verification.answer', id: event.id, error: 'HTTP 500' })]);
});

it('stops retrying when closed, and drain does not hang', async () => {
  const hook = new VerificationWebhook({ url, secret: 'a-secret-of-16-chars', retryMs: 60_000, attempts: 5 });
  hook.notify(event);
  // The first try fails; the second would wait a minute.
  while (calls.length === 0) await new Promise((r) => setTimeout(r, 10));
  hook.close();
  await hook.drain();
  expect(calls).toHaveLength(1);
  hook.notify(event);
  await hook.drain();
  expect(calls).toHaveLength(1);
});

it('an unreachable receiver is retried and given up on like a failing one', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const warnings: { error?: string }[] = [];
  const hook = new VerificationWebhook({ url: `http://127.0.0.1:${port}/`, secret: 'a-secret-of-16-chars', retryMs: 1, attempts: 2, log: { warn: (obj) => warnings.push(obj) } });
  hook.notify(event);
  await hook.drain();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.error).toBeTruthy();
});
