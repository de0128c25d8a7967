import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { CLIENT_SCRIPT } from './assets/client.js';
import { CHARTS_SCRIPT, INTERACTIONS_STYLES } from './assets/interactions.js';
import { STYLES } from './assets/styles.js';

interface Asset {
  type: string;
  body: Buffer;
}

const require = createRequire(import.meta.url);
const fromPackage = (specifier: string, type: string): Asset => ({ type, body: fs.readFileSync(require.resolve(specifier)) });
const ours = (text: string, type: string): Asset => ({ type, body: Buffer.from(text, 'utf8') });
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

let loaded: { version: string; files: Map<string, Asset> } | undefined;

/** Every file the console's pages load, read once when first asked for; the version is their hash. */
function assets() {
  if (loaded) return loaded;
  const files = new Map<string, Asset>([
    ['htmx.min.js', fromPackage('htmx.org/dist/htmx.min.js', JS)],
    ['uplot.min.js', fromPackage('uplot/dist/uPlot.iife.min.js', JS)],
    ['uplot.min.css', fromPackage('uplot/dist/uPlot.min.css', CSS)],
    ['console.js', ours(CLIENT_SCRIPT, JS)],
    ['console.css', ours(STYLES, CSS)],
    ['charts.js', ours(CHARTS_SCRIPT, JS)],
    ['interactions.css', ours(INTERACTIONS_STYLES, CSS)],
  ]);
  const hash = createHash('sha256');
  for (const [name, a] of files) hash.update(name).update(a.body);
  loaded = { version: hash.digest('base64url').slice(0, 12), files };
  return loaded;
}

/** The URL of an asset: versioned by content, so that it can be cached for a year. */
export const assetPath = (name: string) => `/console/assets/${assets().version}/${name}`;

export function assetRoutes() {
  const r = new Hono();
  r.get('/assets/:version/:name', (c) => {
    const { version, files } = assets();
    const asset = files.get(c.req.param('name'));
    if (!asset) return c.text('No such asset.', 404);
    // An old version's URL (a page loaded before an upgrade) gets today's file, not cached for long.
    const current = c.req.param('version') === version;
    c.header('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('Content-Type', asset.type);
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(new Uint8Array(asset.body));
  });
  return r;
}
