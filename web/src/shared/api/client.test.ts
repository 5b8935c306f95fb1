import { ApiClient, ApiError, withQuery, type Transport, type TransportRequest } from './client';

function transportAnswering(status: number, body: string, contentType = 'application/json; charset=utf-8') {
  const sent: TransportRequest[] = [];
  const transport: Transport = {
    send: async (req) => {
      sent.push(req);
      return { status, header: (n) => (n === 'content-type' ? contentType : null), text: async () => body, bytes: async () => new TextEncoder().encode(body).buffer as ArrayBuffer };
    },
    upload: async (req, onProgress) => {
      sent.push(req);
      onProgress({ loaded: 5, total: 10 });
      return { status, header: (n) => (n === 'content-type' ? contentType : null), text: async () => body, bytes: async () => new TextEncoder().encode(body).buffer as ArrayBuffer };
    },
  };
  return { transport, sent };
}

test('query strings repeat list keys and leave out empty values', () => {
  expect(withQuery('/api/specimens', { q: 'utopia pass', status: ['genuine', 'forgery'], yearFrom: 2010, cursor: undefined, series: '', x: null })).toBe(
    '/api/specimens?q=utopia+pass&status=genuine&status=forgery&yearFrom=2010',
  );
  expect(withQuery('/a?b=1', { c: 2 })).toBe('/a?b=1&c=2');
  expect(withQuery('/a', {})).toBe('/a');
});

test('every request carries the headers from the one requestHeaders hook', async () => {
  const { transport, sent } = transportAnswering(200, '{"ok":true}');
  let token = 'a';
  const api = new ApiClient({ transport, requestHeaders: () => ({ 'x-csrf-token': token }) });
  await api.get('/api/health');
  token = 'b';
  await api.patch('/api/specimens/abc123', { revision: 1 });
  await api.upload('/api/specimens/abc123/captures', new FormData(), () => undefined);
  expect(sent.map((r) => r.headers['x-csrf-token'])).toEqual(['a', 'b', 'b']);
  expect(sent[1]).toMatchObject({ method: 'PATCH', body: '{"revision":1}', headers: { 'content-type': 'application/json' } });
  expect(sent[0]!.headers['content-type']).toBeUndefined();
});

test('API errors arrive as ApiError with code, message, details and validation issues', async () => {
  const body = { code: 'VALIDATION_FAILED', message: 'invalid specimen', details: { errors: [{ path: '/title', message: 'is required' }] } };
  const api = new ApiClient({ transport: transportAnswering(400, JSON.stringify(body)).transport });
  const err = await api.post('/api/specimens', {}).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: 'invalid specimen' });
  expect((err as ApiError).issues).toEqual([{ path: '/title', message: 'is required' }]);
});

test('a non-JSON error page or broken JSON becomes a BAD_RESPONSE error, not a crash', async () => {
  const html = new ApiClient({ transport: transportAnswering(502, '<html>Bad gateway</html>', 'text/html').transport });
  await expect(html.get('/api/health')).rejects.toMatchObject({ status: 502, code: 'BAD_RESPONSE' });
  const broken = new ApiClient({ transport: transportAnswering(200, '{"items": [').transport });
  await expect(broken.get('/api/specimens')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
});

test('a 204 answer resolves without a body', async () => {
  const api = new ApiClient({ transport: transportAnswering(204, '', '').transport });
  await expect(api.delete('/api/specimens/abc123')).resolves.toBeUndefined();
});

test('uploads report progress', async () => {
  const api = new ApiClient({ transport: transportAnswering(201, '{"id":"cap1"}').transport });
  const progress: number[] = [];
  await expect(api.upload('/x', new FormData(), (p) => progress.push(p.loaded / p.total))).resolves.toEqual({ id: 'cap1' });
  expect(progress).toEqual([0.5]);
});

test('the session CSRF token goes with changes only, and a 401 (not from the login form) tells the listeners', async () => {
  const { transport, sent } = transportAnswering(401, '{"code":"UNAUTHENTICATED","message":"log in first"}');
  const api = new ApiClient({ transport });
  const heard: string[] = [];
  const stop = api.onUnauthenticated((err) => heard.push(err.code));
  api.setCsrfToken('tok');
  await api.get('/api/specimens').catch(() => undefined);
  await api.post('/api/cases', {}).catch(() => undefined);
  await api.upload('/api/verification-requests', new FormData(), () => undefined).catch(() => undefined);
  await api.post('/api/auth/login', { username: 'a', password: 'b' }).catch(() => undefined);
  expect(sent.map((r) => r.headers['x-csrf-token'])).toEqual([undefined, 'tok', 'tok', 'tok']);
  expect(heard).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
  stop();
  api.setCsrfToken(null);
  await api.delete('/api/x').catch(() => undefined);
  expect(sent.at(-1)!.headers['x-csrf-token']).toBeUndefined();
  expect(heard).toHaveLength(3);
});
