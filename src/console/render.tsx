import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Services } from '../deps.js';
import type { ConsoleContext, PageOptions, Render } from './env.js';
import { Layout, type Viewer } from './layout.js';

const FLASH_COOKIE = 'threadline_flash';
const MAX_FLASH = 300;

/**
 * A message for the next page the user sees (after a redirect): kept for one minute in a
 * cookie of the console's path, shown once, escaped like any other text.
 */
export function setFlash(c: ConsoleContext, text: string, kind: 'ok' | 'error' = 'ok') {
  setCookie(c, FLASH_COOKIE, `${kind}:${text.slice(0, MAX_FLASH)}`, { path: '/console', httpOnly: true, sameSite: 'Lax', secure: c.get('secureRequest')(), maxAge: 60 });
}

function takeFlash(c: ConsoleContext): { text: string; kind: 'ok' | 'error' } | undefined {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/console' });
  const kind = raw.startsWith('error:') ? 'error' : 'ok';
  return { kind, text: raw.slice(raw.indexOf(':') + 1, raw.indexOf(':') + 1 + MAX_FLASH) };
}

/** Sends a redirect after a change (303: the browser follows with a GET), with a flash message. */
export function redirectWith(c: ConsoleContext, to: string, text?: string, kind: 'ok' | 'error' = 'ok') {
  if (text !== undefined) setFlash(c, text, kind);
  // htmx follows HX-Redirect with a full page load; a plain form follows the 303.
  if (c.req.header('hx-request')) {
    c.header('HX-Redirect', to);
    return c.body(null, 204);
  }
  return c.redirect(to, 303);
}

/** Renders a page of a signed-in user inside the layout (the user's name is looked up per page). */
export function createRenderer(services: Pick<Services, 'agents'>): Render {
  return async (c, options, body) => {
    const principal = c.get('principal');
    const user = await services.agents.getUser(principal.orgId, principal.userId!);
    const viewer: Viewer = { name: user.name, email: user.email, permissions: principal.permissions, csrfToken: c.get('session').csrfToken };
    return renderPage(c, options, body, viewer);
  };
}

/** Any page, signed in (`viewer`) or not. */
export function renderPage(c: ConsoleContext, options: PageOptions, body: Child, viewer?: Viewer) {
  c.header('Cache-Control', 'no-store');
  const page = (
    <Layout title={options.title} viewer={viewer} current={options.current} flash={takeFlash(c)} live={options.live} assets={options}>
      {body}
    </Layout>
  );
  return c.html(html`<!DOCTYPE html>${page}`, options.status ?? 200);
}
