import { Hono } from 'hono';
import { hasAnyPermission } from '../../auth/permissions.js';
import { SUPPRESSION_EDIT, SUPPRESSION_VIEW, SuppressBody, SuppressionParams } from '../../suppression/suppression.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid, when } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { RowAction, Table } from './parts.js';

// The suppression list: addresses threadline will not mail, found by part of the address, added
// and removed by hand (the same suppression service as /api/v2/suppressions).

const HERE = '/console/admin/suppressions';
const PAGE_SIZE = 50;
const AddForm = SuppressionParams.extend(SuppressBody.shape);

export function suppressionsRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { suppressions, consoleSessions } = services;

  r.get('/admin/suppressions', page(...SUPPRESSION_VIEW), async (c) => {
    const { email } = valid(SuppressionParams.partial(), { email: c.req.query('email') || undefined });
    const pageNumber = Math.max(1, Math.min(10_000, Number.parseInt(c.req.query('page') ?? '1', 10) || 1));
    const { entities, total } = await suppressions.list(c.get('principal').orgId, { ...(email ? { email } : {}), pageSize: PAGE_SIZE, pageNumber });
    const canEdit = hasAnyPermission(c.get('principal').permissions, SUPPRESSION_EDIT);
    const token = c.get('session').csrfToken;
    const more = pageNumber * PAGE_SIZE < total;
    const query = (n: number) => `${HERE}?${new URLSearchParams({ ...(email ? { email } : {}), page: String(n) })}`;
    return render(
      c,
      { title: 'Suppressions', current: '/console/admin' },
      <>
        <h1>Suppressions</h1>
        <form method="get" action={HERE} class="actions">
          <label for="s-find">Address contains</label>
          <input id="s-find" name="email" value={email ?? ''} maxlength={320} />
          <button type="submit" class="secondary">
            Find
          </button>
        </form>
        <Table label="Suppressed addresses" columns={['Address', 'Reason', 'Detail', 'Since', 'Until', canEdit && 'Action']}>
          {entities.map((s) => (
            <tr>
              <td>{s.email}</td>
              <td>{s.reason}</td>
              <td>{s.detail ?? ''}</td>
              <td>{when(s.dateCreated)}</td>
              <td>{s.dateExpires ? when(s.dateExpires) : 'removed by hand'}</td>
              {canEdit && (
                <td>
                  <RowAction action={`${HERE}/remove`} token={token} label="Remove" name={`Remove ${s.email}`} fields={{ email: s.email }} />
                </td>
              )}
            </tr>
          ))}
        </Table>
        <p class="muted">
          {total} in all. {pageNumber > 1 && <a href={query(pageNumber - 1)}>Previous page</a>} {more && <a href={query(pageNumber + 1)}>Next page</a>}
        </p>
        {canEdit && (
          <>
            <h2>Suppress an address</h2>
            <form method="post" action={HERE} class="stack">
              <CsrfField token={token} />
              <label for="s-email">Address</label>
              <input id="s-email" name="email" type="email" required maxlength={320} />
              <label for="s-reason">Why</label>
              <input id="s-reason" name="reason" maxlength={500} />
              <button type="submit">Suppress</button>
            </form>
          </>
        )}
      </>,
    );
  });

  r.post('/admin/suppressions', action(consoleSessions, ...SUPPRESSION_EDIT), async (c) => {
    const { email, reason } = valid(AddForm, await formOf(c));
    const s = await suppressions.put(c.get('principal').orgId, email, reason ?? null);
    return redirectWith(c, HERE, `${s.email} is suppressed.`);
  });

  r.post('/admin/suppressions/remove', action(consoleSessions, ...SUPPRESSION_EDIT), async (c) => {
    const { email } = valid(SuppressionParams, await formOf(c));
    await suppressions.remove(c.get('principal').orgId, email);
    return redirectWith(c, HERE, `${email} will be mailed again.`);
  });
  return r;
}
