import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Hono, type MiddlewareHandler } from 'hono';
import { databaseUnavailable } from '../db/unavailable.js';
import type { HttpEnv } from '../http/env.js';
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
  const r = new Hono<HttpEnv>();
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
