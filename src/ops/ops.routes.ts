import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { databaseUnavailable } from '../db/unavailable.js';
import { BODY_LIMITS, limitBody } from '../http/body-limit.js';
import { json, newRouter } from '../http/router.js';
import type { Metrics } from './metrics.js';

const require = createRequire(import.meta.url);
// swagger-ui is served from node_modules, so /docs works on a machine without internet.
const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// No inline script: the page's own code is a served file, so the CSP can allow scripts from
// 'self' only. persistAuthorization stays off: swagger-ui would keep a pasted token in
// localStorage, where any script on this origin could read it long after.
const DOCS_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: false });\n`;
const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>threadline API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/docs.js"></script>
</body></html>`;

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>threadline</title></head>
<body><h1>threadline</h1><ul>
<li><a href="/docs">/docs</a>: the interactive API reference</li>
<li><a href="/openapi.json">/openapi.json</a>: the OpenAPI 3.1 document</li>
<li><a href="/console">/console</a>: the web console</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul></body></html>`;

const Status = z.object({ status: z.string(), reason: z.string().optional() }).openapi('ServiceStatus');
const ops = ['Operations'];
// Documented in the OpenAPI document; served by plain handlers (text bodies, no validation).
// These take no body, but every route bounds one: a client may still send it.
const OPS_BODY = { 'x-max-body-bytes': BODY_LIMITS.json };
const documented = [
  createRoute({
    method: 'get',
    path: '/',
    ...OPS_BODY,
    summary: 'Where to go: links to /docs, /openapi.json and /console',
    tags: ops,
    responses: { 200: { description: 'An HTML page of links, or the same as JSON (Accept: application/json).', content: { 'text/html': { schema: z.string() } } } },
  }),
  createRoute({ method: 'get', path: '/healthz', ...OPS_BODY, summary: 'Liveness: the process answers', tags: ops, responses: { 200: json(Status, '`{"status":"ok"}`.') } }),
  createRoute({
    method: 'get',
    path: '/readyz',
    ...OPS_BODY,
    summary: 'Readiness: the database answers and its migrations are applied',
    tags: ops,
    responses: { 200: json(Status, '`{"status":"ready"}`.'), 503: json(Status, 'Not ready, with the reason.') },
  }),
  createRoute({
    method: 'get',
    path: '/metrics',
    ...OPS_BODY,
    summary: 'Prometheus metrics (text exposition format)',
    tags: ops,
    responses: { 200: { description: 'Counters and histograms of sends, deliveries, inbound mail and the process.', content: { 'text/plain': { schema: z.string() } } } },
  }),
];

// Everything /docs loads comes from this server, nothing inline (swagger-ui sets styles through
// the DOM, which style-src does not govern), plus the data: URIs of swagger-ui's own icons; no
// other site may frame it.
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const docsHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', DOCS_CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
};

export function opsRoutes(deps: { metrics: Metrics; ready(): Promise<string | null> }) {
  const r = newRouter();
  for (const route of documented) {
    r.openAPIRegistry.registerPath(route);
    r.use(route.path, limitBody(BODY_LIMITS.json));
  }
  r.get('/', (c) => {
    const accept = c.req.header('accept') ?? '';
    return accept.includes('json') && !accept.includes('text/html')
      ? c.json({ name: 'threadline', docs: '/docs', openapi: '/openapi.json', console: '/console', health: '/healthz', ready: '/readyz', metrics: '/metrics' })
      : c.html(INDEX_HTML);
  });
  r.get('/healthz', (c) => c.json({ status: 'ok' }));
  r.get('/readyz', async (c) => {
    const problem = await deps.ready().catch((err: unknown) => databaseUnavailable(err) ?? 'database error');
    return problem === null ? c.json({ status: 'ready' }) : c.json({ status: 'not ready', reason: problem }, 503);
  });
  r.get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  r.use('/docs', docsHeaders);
  r.use('/docs/*', docsHeaders);
  r.get('/docs', (c) => c.html(DOCS_HTML));
  r.get('/docs/docs.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(DOCS_JS);
  });
  r.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset');
    const type = ASSETS[name];
    if (!type) return c.notFound();
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(await fs.readFile(path.join(SWAGGER_DIR, name)));
  });
  return r;
}
