import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
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

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>threadline API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;

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
  r.get('/docs', (c) => c.html(DOCS_HTML));
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
