import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { PERMISSIONS as P } from '../../auth/permissions.js';
import { NewQueueBody } from '../../queues/queues.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back, RowAction, Table } from './parts.js';
import { queueCodesSection } from './wrapup-codes.js';

// Queues and their members (the same queues and agents services as /api/v2/routing/queues).
// The pages are for those who change queues or their members: an agent, who may read queues
// through the API, works them from the inbox instead.

const HERE = '/console/admin/queues';
const link = (id: string) => `${HERE}/${encodeURIComponent(id)}`;
export const QUEUE_ADMIN = [P.queueEdit, P.queueMemberManage];
const Member = z.object({ userId: z.string().min(1).max(100) });
/** Enough users to choose from in one list; the API pages beyond it. */
const USERS_LISTED = 500;

export function queuesRoutes(deps: ConsoleDeps) {
  const { services, render } = deps;
  const r = new Hono<ConsoleEnv>();
  const { queues, agents, consoleSessions } = services;

  r.get('/admin/queues', page(...QUEUE_ADMIN), async (c) => {
    const list = await queues.list(c.get('principal').orgId);
    return render(
      c,
      { title: 'Queues', current: '/console/admin' },
      <>
        <h1>Queues</h1>
        <ul>
          {list.map((q) => (
            <li>
              <a href={link(q.id)}>{q.name}</a>
            </li>
          ))}
        </ul>
        {list.length === 0 && <p class="muted">No queue yet.</p>}
        <h2>Add a queue</h2>
        <form method="post" action={HERE} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="queue-name">Queue name</label>
          <input id="queue-name" name="name" required maxlength={200} />
          <button type="submit">Add the queue</button>
        </form>
      </>,
    );
  });

  r.post('/admin/queues', action(consoleSessions, P.queueEdit), async (c) => {
    const q = await queues.create(c.get('principal').orgId, valid(NewQueueBody, await formOf(c)).name);
    return redirectWith(c, link(q.id), `The queue ${q.name} was added.`);
  });

  r.get('/admin/queues/:id', page(...QUEUE_ADMIN), async (c) => {
    const orgId = c.get('principal').orgId;
    const q = await queues.get(orgId, c.req.param('id'));
    const [members, users] = await Promise.all([
      agents.listMembers(orgId, q.id, { pageSize: USERS_LISTED, pageNumber: 1 }),
      agents.listUsers(orgId, { pageSize: USERS_LISTED, pageNumber: 1 }),
    ]);
    const inQueue = new Set(members.entities.map((m) => m.id));
    const others = users.entities.filter((u) => !inQueue.has(u.id));
    const token = c.get('session').csrfToken;
    const codes = await queueCodesSection(c, deps, q.id);
    return render(
      c,
      { title: q.name, current: '/console/admin' },
      <>
        <Back href={HERE} label="Queues" />
        <h1>{q.name}</h1>
        <h2 id="members">Members</h2>
        <Table labelledBy="members" columns={['Name', 'Email', 'Action']}>
          {members.entities.map((m) => (
            <tr>
              <td>{m.name}</td>
              <td>{m.user.email}</td>
              <td>
                <RowAction action={`${link(q.id)}/members/remove`} token={token} label="Remove" name={`Remove ${m.user.email}`} fields={{ userId: m.id }} />
              </td>
            </tr>
          ))}
        </Table>
        {others.length > 0 && (
          <form method="post" action={`${link(q.id)}/members`} class="stack">
            <CsrfField token={token} />
            <label for="member-user">Add a member</label>
            <select id="member-user" name="userId" required>
              {others.map((u) => (
                <option value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
            <button type="submit">Add to the queue</button>
          </form>
        )}
        {codes}
      </>,
    );
  });

  r.post('/admin/queues/:id/members', action(consoleSessions, ...QUEUE_ADMIN), async (c) => {
    const { userId } = valid(Member, await formOf(c));
    await agents.addMembers(c.get('principal').orgId, c.req.param('id'), [userId]);
    return redirectWith(c, link(c.req.param('id')), 'The member was added.');
  });

  r.post('/admin/queues/:id/members/remove', action(consoleSessions, ...QUEUE_ADMIN), async (c) => {
    const { userId } = valid(Member, await formOf(c));
    await agents.removeMembers(c.get('principal').orgId, c.req.param('id'), [userId]);
    return redirectWith(c, link(c.req.param('id')), 'The member was removed.');
  });
  return r;
}
