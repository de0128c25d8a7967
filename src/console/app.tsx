import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import type { Services } from '../deps.js';
import { AppError } from '../errors.js';
import { adminSectionRoutes } from './admin/pages.js';
import { adminRoutes } from './admin.js';
import { assetRoutes } from './assets.js';
import type { ConsoleDeps, ConsoleEnv } from './env.js';
import { renderConsoleError } from './errors.js';
import { requireSession } from './guard.js';
import { inboxRoutes } from './inbox.js';
import { interactionsRoutes } from './interactions/routes.js';
import { itemRoutes } from './item.js';
import { itemActionRoutes } from './item-actions.js';
import { liveRoutes } from './live.js';
import { createRenderer } from './render.js';
import { signInRoutes } from './sign-in.js';

/** The web console, mounted at /console: server-rendered pages over the same services as the API. */
export function consoleApp(services: Services, options: { dataDir: string; shutdown?: AbortSignal }) {
  const app = new Hono<ConsoleEnv>();
  app.onError((err, c) => renderConsoleError(c, err));
  app.use(
    secureHeaders({
      // Everything from threadline itself, and no inline script or style: htmx is configured
      // not to inject its own (layout.tsx).
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
    }),
  );
  // Hono's Origin check on every form post, sign-in included; the session's token is checked per action (guard.ts).
  // The whole origin, scheme included: a page injected into http://host is not the console at https://host.
  app.use(csrf({ origin: (origin, c) => origin === `${c.get('secureRequest')() ? 'https' : 'http'}://${c.req.header('host')}` }));
  app.route('/', assetRoutes());
  app.route('/', signInRoutes(services));
  const deps: ConsoleDeps = { services, render: createRenderer(services), shutdown: options.shutdown };
  const signedIn = new Hono<ConsoleEnv>();
  signedIn.use(requireSession(services.consoleSessions));
  signedIn.route('/', inboxRoutes(deps));
  signedIn.route('/', itemRoutes(deps));
  signedIn.route('/', itemActionRoutes(deps));
  signedIn.route('/', liveRoutes(deps));
  signedIn.route('/', adminRoutes(deps));
  signedIn.route('/', interactionsRoutes(deps, options));
  signedIn.route('/', adminSectionRoutes(deps));
  signedIn.all('*', () => {
    throw new AppError(404, 'not.found', 'There is no such page in the console.');
  });
  app.route('/', signedIn);
  return app;
}
