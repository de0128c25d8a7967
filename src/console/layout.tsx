import type { Child } from 'hono/jsx';
import { hasAnyPermission, PERMISSIONS } from '../auth/permissions.js';
import { assetPath } from './assets.js';
import type { PageOptions } from './env.js';
import { CSRF_FIELD, CSRF_HEADER } from './guard.js';
import { ADMIN_AREA } from './sections.js';

export interface Viewer {
  name: string;
  email: string;
  permissions: string[];
  csrfToken: string;
}

// htmx's defaults that the Content-Security-Policy forbids: its inline indicator styles, and
// eval for hx-on and js: values. No history cache: it keeps copies of pages (personal data) in
// localStorage, where they would outlive sign-out.
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false, selfRequestsOnly: true, historyCacheSize: 0 });

/** The hidden field every form that changes something carries. */
export const CsrfField = (props: { token: string }) => <input type="hidden" name={CSRF_FIELD} value={props.token} />;

/**
 * Every page: a skip link, a header with the signed-in user and sign-out, the navigation
 * (Administration only for administrators), the flash region, then the page itself in <main>.
 * `live`: the page refreshes its live parts from /console/live.
 */
export function Layout(props: {
  title: string;
  viewer?: Viewer;
  current?: string;
  flash?: { text: string; kind: 'ok' | 'error' };
  live?: boolean;
  assets?: Pick<PageOptions, 'scripts' | 'styles' | 'withoutHtmx'>;
  children?: Child;
}) {
  const { viewer, assets } = props;
  const nav = viewer
    ? [
        { href: '/console', label: 'Inbox' },
        ...(hasAnyPermission(viewer.permissions, [PERMISSIONS.conversationDetailView]) ? [{ href: '/console/interactions', label: 'Interactions' }] : []),
        ...(hasAnyPermission(viewer.permissions, ADMIN_AREA) ? [{ href: '/console/admin', label: 'Administration' }] : []),
      ]
    : [];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${props.title} · threadline`}</title>
        <link rel="stylesheet" href={assetPath('console.css')} />
        {assets?.styles?.map((name) => (
          <link rel="stylesheet" href={assetPath(name)} />
        ))}
        {!assets?.withoutHtmx && <script src={assetPath('htmx.min.js')} defer />}
        <script src={assetPath('console.js')} defer />
        {assets?.scripts?.map((name) => (
          <script src={assetPath(name)} defer />
        ))}
      </head>
      <body hx-headers={viewer ? JSON.stringify({ [CSRF_HEADER]: viewer.csrfToken }) : undefined} data-live={viewer && props.live ? '/console/live' : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">threadline</span>
          {nav.length > 0 && (
            <nav aria-label="Main">
              <ul>
                {nav.map((n) => (
                  <li>
                    <a href={n.href} aria-current={props.current === n.href ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {viewer && (
            <div class="who">
              <span>
                Signed in as <strong>{viewer.name}</strong> <span class="muted">({viewer.email})</span>
              </span>
              <form method="post" action="/console/sign-out">
                <CsrfField token={viewer.csrfToken} />
                <button type="submit" class="secondary">
                  Sign out
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <div id="flash" class={`flash${props.flash ? ` ${props.flash.kind}` : ''}`} role="status" aria-live="polite">
            {props.flash?.text}
          </div>
          {props.children}
        </main>
      </body>
    </html>
  );
}
