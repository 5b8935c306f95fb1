/**
 * What jsdom lacks and the app's components use; imported first by every
 * component test. These stand in for browser APIs that cannot run in jsdom,
 * with the answers a browser without the feature would give (no canvas
 * context, no matching media query), so OpenSeadragon falls back to its HTML
 * drawer exactly as it would in such a browser.
 */
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'node:util';

// React Router encodes URLs with these; jsdom does not provide them.
if (typeof globalThis.TextEncoder === 'undefined') {
  Object.assign(globalThis, { TextEncoder, TextDecoder });
}

// The app's data router describes every navigation as a fetch Request (for route loaders: the app has none, so
// only its url, method, headers and signal are read); jsdom has no fetch API. A browser's Request has these too.
if (typeof globalThis.Request !== 'function') {
  class RequestStandIn {
    readonly url: string;
    readonly method: string;
    readonly headers: Headers;
    readonly signal: AbortSignal;
    constructor(input: string | URL | RequestStandIn, init: { method?: string; headers?: HeadersInit; signal?: AbortSignal | null } = {}) {
      const from = input instanceof RequestStandIn ? input : undefined;
      this.url = new URL(from ? from.url : String(input), window.location.href).href;
      this.method = (init.method ?? from?.method ?? 'GET').toUpperCase();
      this.headers = new Headers(init.headers ?? from?.headers);
      this.signal = init.signal ?? from?.signal ?? new AbortController().signal;
    }
  }
  Object.assign(globalThis, { Request: RequestStandIn });
}

if (typeof window.matchMedia !== 'function') {
  window.matchMedia = (query: string): MediaQueryList =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// jsdom reports "not implemented" for every canvas context; a browser without one answers null.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;

if (typeof window.ResizeObserver !== 'function') {
  window.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}

if (typeof URL.createObjectURL !== 'function') {
  let n = 0;
  URL.createObjectURL = () => `blob:test/${++n}`;
  URL.revokeObjectURL = () => undefined;
}

// No server runs behind jsdom: a request the app makes outside the test
// transport (the image viewer fetching tiles) fails at once, as offline.
XMLHttpRequest.prototype.send = function send(this: XMLHttpRequest) {
  setTimeout(() => this.dispatchEvent(new ProgressEvent('error')), 0);
};

// jsdom does no layout or scrolling.
if (typeof Element.prototype.scrollIntoView !== 'function') Element.prototype.scrollIntoView = () => undefined;

// jsdom has no PointerEvent; a MouseEvent with the pointer fields stands in, as in browsers where it extends MouseEvent.
if (typeof window.PointerEvent !== 'function') {
  class PointerEventPolyfill extends MouseEvent {
    readonly pointerId: number;
    readonly pointerType: string;
    readonly isPrimary: boolean;
    constructor(type: string, init: PointerEventInit = {}) {
      super(type, init);
      this.pointerId = init.pointerId ?? 1;
      this.pointerType = init.pointerType ?? 'mouse';
      this.isPrimary = init.isPrimary ?? true;
    }
  }
  window.PointerEvent = PointerEventPolyfill as unknown as typeof PointerEvent;
}

// jsdom's crypto has no SubtleCrypto; Node's Web Crypto is the same standard API.
if (!globalThis.crypto?.subtle) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { webcrypto } = require('node:crypto') as typeof import('node:crypto');
  Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
}

// Two shared cores under load: a first render that pulls in the whole app can take seconds. Waits end at the signal, not the limit.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('@testing-library/react') as typeof import('@testing-library/react')).configure({ asyncUtilTimeout: 5000 });
