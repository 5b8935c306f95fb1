/**
 * The OpenAPI document at /api/docs/json: version 3.1 (the route schemas are
 * JSON Schema with if/then and `type: 'null'`, which 3.0 cannot state), and
 * every route the server answers is in it — checked against the router's own
 * list, so a new route without a schema fails here.
 */
import { buildTestApp, type TestApp } from '../../server/src/test-helpers';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

/** `{ path, method }` of every route in fastify's printRoutes tree, paths spelled as OpenAPI spells them. */
function routesOf(tree: string): Array<{ path: string; method: string }> {
  const stack: string[] = [];
  const routes: Array<{ path: string; method: string }> = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─\s]*?)(?:[├└]── )(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = ((m[1] ?? '').length + 4) / 4;
    const full = (stack[depth - 1] ?? '') + (m[2] ?? '');
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ')) routes.push({ path: full.replace(/:(\w+)/g, '{$1}'), method: method.toLowerCase() });
  }
  return routes;
}

it('serves an OpenAPI 3.1 document (no login needed) that lists every API route with its responses', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
  expect(res.statusCode).toBe(200);
  const doc = res.json<OpenApiDocument>();
  expect(doc.openapi).toBe('3.1.0');

  const routes = routesOf(t.app.printRoutes({ commonPrefix: false }));
  // The parse found the routes (a tree format change would otherwise pass vacuously).
  expect(routes).toEqual(expect.arrayContaining([{ path: '/api/specimens/{id}/captures', method: 'post' }, { path: '/api/images/{sha256}', method: 'get' }]));
  const api = routes.filter(
    (r) =>
      r.path.startsWith('/api/') &&
      !r.path.startsWith('/api/docs') &&
      // HEAD is fastify's automatic twin of GET, not a route of its own.
      r.method !== 'head' &&
      // The deep-zoom tile wildcard: its single `*` parameter is not expressible as an OpenAPI path.
      !r.path.endsWith('*'),
  );
  expect(api.length).toBeGreaterThan(20);
  const undocumented = api.filter((r) => doc.paths[r.path]?.[r.method] === undefined);
  expect(undocumented).toEqual([]);
  for (const r of api) {
    const responses = Object.keys(doc.paths[r.path]?.[r.method]?.responses ?? {});
    expect({ ...r, documented: responses.some((s) => s.startsWith('2')) }).toEqual({ ...r, documented: true });
  }
});

it('keeps the schemas as JSON Schema: a forgery needs forgeryMethods (if/then), not dropped or rewritten', async () => {
  const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json<OpenApiDocument>();
  const specimen = doc.components.schemas.Specimen;
  expect(specimen).toBeDefined();
  // swagger-ui shows `const` only as a one-value enum, so the plugin writes it so; the meaning is the same.
  const status = (specimen?.if as { properties?: { status?: { const?: string; enum?: string[] } } } | undefined)?.properties?.status;
  expect(status?.enum ?? [status?.const]).toEqual(['forgery']);
  expect(specimen?.then).toMatchObject({ required: expect.arrayContaining(['forgeryMethods']) });
});

it('serves the documentation page', async () => {
  let url = '/api/docs';
  let page = await t.app.inject({ method: 'GET', url });
  for (let hops = 0; page.statusCode === 302 && hops < 3; hops++) {
    url = new URL(String(page.headers.location), `http://localhost${url}`).pathname;
    page = await t.app.inject({ method: 'GET', url });
  }
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toMatch(/text\/html/);
  expect(page.body).toMatch(/swagger/i);
});
