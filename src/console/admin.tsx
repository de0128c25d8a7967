import { Hono } from 'hono';
import type { ConsoleDeps, ConsoleEnv } from './env.js';
import { page } from './guard.js';
import { ADMIN_AREA } from './sections.js';

/** The Administration area's entry page; its sections are added beside it. */
export function adminRoutes({ render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  r.get('/admin', page(...ADMIN_AREA), (c) =>
    render(
      c,
      { title: 'Administration', current: '/console/admin' },
      <>
        <h1>Administration</h1>
        <p>Set up what the organization sends and receives, and who works on it.</p>
      </>,
    ),
  );
  return r;
}
