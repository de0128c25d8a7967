import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError } from '../errors.js';
import type { HttpEnv } from '../http/env.js';
import { appErrorOf } from '../http/errors.js';
import type { ConsoleContext, PageOptions } from './env.js';
import { csrfRefused } from './guard.js';
import { renderPage } from './render.js';

const TITLES: Record<number, string> = {
  400: 'The request could not be done',
  401: 'Signed out',
  403: 'Not allowed',
  404: 'Not found',
  413: 'Too large',
  429: 'Too many attempts',
};

function consoleErrorOf(c: ConsoleContext, err: unknown): AppError {
  // Hono's Origin check (hono/csrf) refuses with a bare 403.
  if (err instanceof HTTPException && err.status === 403) return csrfRefused();
  // The console's variables include the API's: the same logging and mapping applies.
  const app = appErrorOf(c as unknown as Context<HttpEnv>, err);
  if (app.code === 'missing.any.permissions') return new AppError(403, app.code, 'Your user does not have the permission this page needs.', app.details);
  return app;
}

/**
 * The console's error page, in the words the API uses (a 5xx only as its code and context id).
 * An ended session sends a page load to the sign-in page; htmx requests get the error alone,
 * which console.js shows in the page's live region.
 */
export function renderConsoleError(c: ConsoleContext, err: unknown): Response | Promise<Response> {
  const app = consoleErrorOf(c, err);
  const htmx = c.req.header('hx-request') !== undefined;
  if (app.status === 401) {
    if (htmx) c.header('HX-Redirect', '/console/sign-in');
    else if (c.req.method === 'GET') return c.redirect('/console/sign-in', 303);
  }
  if (app.retryAfterSeconds !== undefined) c.header('Retry-After', String(app.retryAfterSeconds));
  const status = app.status as NonNullable<PageOptions['status']>;
  const message = app.status >= 500 ? `${app.message} (context id ${c.get('contextId')})` : app.message;
  if (htmx) {
    c.header('Cache-Control', 'no-store');
    return c.html(<p data-error>{message}</p>, status);
  }
  return renderPage(
    c,
    { title: TITLES[app.status] ?? 'Something went wrong', status },
    <>
      <h1>{TITLES[app.status] ?? 'Something went wrong'}</h1>
      <p class="flash error" role="alert" data-error>
        {message}
      </p>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </>,
  );
}
