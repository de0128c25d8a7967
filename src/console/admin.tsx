import { Hono } from 'hono';
import { hasAnyPermission } from '../auth/permissions.js';
import { ADMIN_PAGES } from './admin/pages.js';
import type { ConsoleDeps, ConsoleEnv } from './env.js';
import { page } from './guard.js';
import { ADMIN_AREA } from './sections.js';

/** The Administration area's entry page: a link to each section the user may open. */
export function adminRoutes({ render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  r.get('/admin', page(...ADMIN_AREA), (c) => {
    const mine = ADMIN_PAGES.filter((s) => hasAnyPermission(c.get('principal').permissions, s.permissions));
    return render(
      c,
      { title: 'Administration', current: '/console/admin' },
      <>
        <h1>Administration</h1>
        <p>Set up what the organization sends and receives, and who works on it.</p>
        <ul class="sections">
          {mine.map((s) => (
            <li>
              <a href={s.href}>{s.label}</a> <span class="muted">{s.about}</span>
            </li>
          ))}
        </ul>
      </>,
    );
  });
  return r;
}
