import { Hono } from 'hono';
import type { ConsoleDeps, ConsoleEnv } from './env.js';
import { page } from './guard.js';

export function inboxRoutes({ render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  r.get('/', page(), (c) =>
    render(
      c,
      { title: 'Inbox', current: '/console', live: true },
      <>
        <h1>Inbox</h1>
      </>,
    ),
  );
  return r;
}
