import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { hasAnyPermission, PERMISSIONS as P } from '../../auth/permissions.js';
import { WRAPUP_EDIT, WRAPUP_VIEW, WrapupCodeName } from '../../queues/wrapup-codes.routes.js';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { RowAction, Table } from './parts.js';

// Wrap-up codes: the organization's list, and the codes each queue offers its agents when they
// complete an item (the same wrap-up codes service as /api/v2/routing/wrapupcodes).

const HERE = '/console/admin/wrapupcodes';
const queueLink = (id: string) => `/console/admin/queues/${encodeURIComponent(id)}`;
/** Enough codes for one list; the API pages beyond it. */
const LISTED = 500;
const NewCode = z.object({ name: WrapupCodeName });
const Code = z.object({ codeId: z.string().min(1).max(100) });

/** The wrap-up codes section of a queue's page: those it offers, and adding or removing one. */
export async function queueCodesSection(c: ConsoleContext, { services }: ConsoleDeps, queueId: string) {
  const p = c.get('principal');
  const [offered, all] = await Promise.all([services.wrapupCodes.listForQueue(p.orgId, queueId), services.wrapupCodes.list(p.orgId, { pageSize: LISTED, pageNumber: 1 })]);
  const on = new Set(offered.entities.map((w) => w.id));
  const canEdit = hasAnyPermission(p.permissions, [P.queueEdit]);
  const token = c.get('session').csrfToken;
  return (
    <>
      <h2 id="queue-codes">Wrap-up codes offered</h2>
      {offered.entities.length === 0 && <p class="muted">None: agents complete this queue's items without a code.</p>}
      <Table labelledBy="queue-codes" columns={['Code', canEdit && 'Action']}>
        {offered.entities.map((w) => (
          <tr>
            <td>{w.name}</td>
            {canEdit && (
              <td>
                <RowAction action={`${queueLink(queueId)}/wrapupcodes/remove`} token={token} label="Remove" name={`Remove ${w.name}`} fields={{ codeId: w.id }} />
              </td>
            )}
          </tr>
        ))}
      </Table>
      {canEdit && all.entities.some((w) => !on.has(w.id)) && (
        <form method="post" action={`${queueLink(queueId)}/wrapupcodes`} class="stack">
          <CsrfField token={token} />
          <label for="queue-code">Offer a wrap-up code</label>
          <select id="queue-code" name="codeId" required>
            {all.entities
              .filter((w) => !on.has(w.id))
              .map((w) => (
                <option value={w.id}>{w.name}</option>
              ))}
          </select>
          <button type="submit">Offer it</button>
        </form>
      )}
    </>
  );
}

export function wrapupCodesRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { wrapupCodes, consoleSessions } = services;

  r.get('/admin/wrapupcodes', page(...WRAPUP_VIEW), async (c) => {
    const { entities } = await wrapupCodes.list(c.get('principal').orgId, { pageSize: LISTED, pageNumber: 1 });
    const canEdit = hasAnyPermission(c.get('principal').permissions, WRAPUP_EDIT);
    const token = c.get('session').csrfToken;
    return render(
      c,
      { title: 'Wrap-up codes', current: '/console/admin' },
      <>
        <h1>Wrap-up codes</h1>
        <p>An agent completes an item with one of the codes its queue offers (set on each queue's page).</p>
        <Table label="Wrap-up codes" columns={['Code', canEdit && 'Action']}>
          {entities.map((w) => (
            <tr>
              <td>{w.name}</td>
              {canEdit && (
                <td>
                  <RowAction action={`${HERE}/remove`} token={token} label="Remove" name={`Remove ${w.name}`} fields={{ codeId: w.id }} />
                </td>
              )}
            </tr>
          ))}
        </Table>
        {canEdit && (
          <form method="post" action={HERE} class="stack">
            <CsrfField token={token} />
            <label for="code-name">Code name</label>
            <input id="code-name" name="name" required maxlength={100} />
            <button type="submit">Add the code</button>
          </form>
        )}
      </>,
    );
  });

  r.post('/admin/wrapupcodes', action(consoleSessions, ...WRAPUP_EDIT), async (c) => {
    const w = await wrapupCodes.create(c.get('principal').orgId, valid(NewCode, await formOf(c)).name);
    return redirectWith(c, HERE, `The wrap-up code ${w.name} was added.`);
  });

  r.post('/admin/wrapupcodes/remove', action(consoleSessions, ...WRAPUP_EDIT), async (c) => {
    await wrapupCodes.remove(c.get('principal').orgId, valid(Code, await formOf(c)).codeId);
    return redirectWith(c, HERE, 'The wrap-up code was removed, from every queue too.');
  });

  r.post('/admin/queues/:id/wrapupcodes', action(consoleSessions, P.queueEdit), async (c) => {
    const [w] = await wrapupCodes.addToQueue(c.get('principal').orgId, c.req.param('id'), [valid(Code, await formOf(c)).codeId]);
    return redirectWith(c, `${queueLink(c.req.param('id'))}#queue-codes`, `The queue now offers ${w?.name ?? 'the code'}.`);
  });

  r.post('/admin/queues/:id/wrapupcodes/remove', action(consoleSessions, P.queueEdit), async (c) => {
    await wrapupCodes.removeFromQueue(c.get('principal').orgId, c.req.param('id'), valid(Code, await formOf(c)).codeId);
    return redirectWith(c, `${queueLink(c.req.param('id'))}#queue-codes`, 'The queue no longer offers that code.');
  });
  return r;
}
