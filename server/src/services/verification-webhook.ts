/**
 * Tells a configured URL about every change of a verification request: a
 * small JSON event (id, status, time; never images or personal data), signed
 * with HMAC-SHA256 so the receiver can trust it, delivered in the background
 * with retries and exponential backoff. A slow or failing receiver never
 * delays or fails the API call that made the change.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface VerificationEvent {
  /** `verification.<action>`: submit, claim, release, return, reply, answer, close, withdraw, link-comparison. */
  event: string;
  id: string;
  status: string;
  at: string;
}

export interface WebhookLog {
  warn(obj: object, msg: string): void;
}

export interface VerificationWebhookOptions {
  url: string;
  secret: string;
  /** Delay before the first retry; doubled for each further one. */
  retryMs: number;
  /** Deliveries tried per event, the first included. */
  attempts?: number;
  /** Per attempt. */
  timeoutMs?: number;
  log?: WebhookLog;
}

export const SIGNATURE_HEADER = 'x-exemplar-signature';
export const DEFAULT_WEBHOOK_ATTEMPTS = 6;
const DEFAULT_TIMEOUT_MS = 10_000;

/** `sha256=<hex>` of the raw body: what the receiver recomputes with the shared secret. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class VerificationWebhook {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  private log: WebhookLog | undefined;

  constructor(private readonly options: VerificationWebhookOptions) {
    this.log = options.log;
  }

  /** Where a delivery that was given up on is reported (the server's logger, once it exists). */
  useLog(log: WebhookLog): void {
    this.log = log;
  }

  /** Queues the delivery and returns at once. */
  notify(event: VerificationEvent): void {
    if (this.closed) return;
    const delivery = this.deliver(event).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Resolves when every queued delivery has succeeded or given up (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops retrying; deliveries in flight end on their own. */
  close(): void {
    this.closed = true;
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
  }

  private async deliver(event: VerificationEvent): Promise<void> {
    const attempts = this.options.attempts ?? DEFAULT_WEBHOOK_ATTEMPTS;
    const body = JSON.stringify(event);
    const headers = {
      'content-type': 'application/json',
      'x-exemplar-event': event.event,
      // The same id on every retry, so a receiver can drop repeats.
      'x-exemplar-delivery': randomUUID(),
      [SIGNATURE_HEADER]: signWebhookBody(body, this.options.secret),
    };
    let lastError = '';
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        lastError = `HTTP ${response.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (attempt < attempts) await this.sleep(this.options.retryMs * 2 ** (attempt - 1));
    }
    this.log?.warn({ event: event.event, id: event.id, error: lastError }, 'verification webhook not delivered');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Closed while the failed try was being answered: no retry to wait for.
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      // A pending retry must not keep a CLI process alive.
      timer.unref();
      this.timers.set(timer, resolve);
    });
  }
}
