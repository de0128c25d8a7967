import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Services } from '../deps.js';
import { AppError } from '../errors.js';
import { BODY_LIMITS, limitBody } from '../http/body-limit.js';
import type { ConsoleContext, ConsoleEnv } from './env.js';
import { action, requireSession, SESSION_COOKIE } from './guard.js';
import { redirectWith, renderPage } from './render.js';
import { SESSION_LIMITS } from './sessions.service.js';

const MAX_FIELD = 320;

function SignInForm(props: { email?: string; error?: string }) {
  return (
    <>
      <h1>Sign in</h1>
      {props.error && (
        <p class="flash error" role="alert" id="sign-in-error" data-error>
          {props.error}
        </p>
      )}
      <form method="post" action="/console/sign-in" class="stack" aria-describedby={props.error ? 'sign-in-error' : undefined}>
        <div>
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required maxlength={MAX_FIELD} value={props.email ?? ''} />
        </div>
        <div>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={MAX_FIELD} />
        </div>
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
    </>
  );
}

const field = (v: unknown) => (typeof v === 'string' ? v.slice(0, MAX_FIELD) : '');

/** Sign-in and sign-out. The session cookie: HttpOnly, SameSite=Lax, Path=/console, Secure whenever the client came over TLS. */
export function signInRoutes(services: Services) {
  const r = new Hono<ConsoleEnv>();
  const showForm = (c: ConsoleContext, status: 200 | 400 | 429, email?: string, error?: string) => renderPage(c, { title: 'Sign in', status }, <SignInForm email={email} error={error} />);

  r.get('/sign-in', async (c) => {
    // Already signed in: straight to the inbox.
    if (await services.consoleSessions.resolve(getCookie(c, SESSION_COOKIE))) return c.redirect('/console', 303);
    return showForm(c, 200);
  });

  r.post('/sign-in', limitBody(BODY_LIMITS.form) as never, async (c) => {
    const form = await c.req.parseBody();
    const email = field(form.email).trim();
    const password = field(form.password);
    if (!email || !password) return showForm(c, 400, email, 'Enter your email and your password.');
    let user: Awaited<ReturnType<Services['auth']['signIn']>>;
    try {
      user = await services.auth.signIn(email, password, c.get('clientAddress')());
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 400 && err.status !== 429)) throw err;
      if (err.status === 429) c.header('Retry-After', String(err.retryAfterSeconds));
      return showForm(c, err.status, email, err.status === 429 ? err.message : 'The email or password is wrong.');
    }
    const { token } = await services.consoleSessions.create(user.orgId, user.userId);
    setCookie(c, SESSION_COOKIE, token, {
      path: '/console',
      httpOnly: true,
      sameSite: 'Lax',
      secure: c.get('secureRequest')(),
      maxAge: Math.floor(SESSION_LIMITS.absoluteMs / 1000),
    });
    return c.redirect('/console', 303);
  });

  r.post('/sign-out', requireSession(services.consoleSessions), action(services.consoleSessions), async (c) => {
    await services.consoleSessions.end(c.get('session'));
    deleteCookie(c, SESSION_COOKIE, { path: '/console', secure: c.get('secureRequest')() });
    return redirectWith(c, '/console/sign-in', 'You are signed out.');
  });
  return r;
}
