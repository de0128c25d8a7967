import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { PERMISSIONS } from '../../auth/permissions.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid, when } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back, Copyable, RowAction, Table } from './parts.js';

// Inbound domains (replies are received for them once their TXT record proves control) and
// their routes, recipient pattern → queue (the same domain service as /api/v2/routing/email/domains).

const MANAGE = PERMISSIONS.routingEmailManage;
const HERE = '/console/admin/inbound';
const link = (name: string) => `${HERE}/${encodeURIComponent(name)}`;
/** The API's route body, as a form sends it: flat fields, the priority as text. */
const RouteForm = z.object({ pattern: z.string().max(64), queueId: z.string().max(100), priority: z.coerce.number().int().min(-1000).max(1000).optional() });

export function inboundDomainsRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { domains, queues, consoleSessions } = services;

  r.get('/admin/inbound', page(MANAGE), async (c) => {
    const list = await domains.listInboundDomains(c.get('principal').orgId);
    return render(
      c,
      { title: 'Inbound domains', current: '/console/admin' },
      <>
        <h1>Inbound domains and routes</h1>
        <p>Replies are received for these domains, and routed by recipient to a queue.</p>
        <Table label="Inbound domains" columns={['Domain', 'Verification', 'Added']}>
          {list.map((d) => (
            <tr>
              <td>
                <a href={link(d.id)}>{d.id}</a>
              </td>
              <td>{d.verificationStatus}</td>
              <td>{when(d.dateCreated)}</td>
            </tr>
          ))}
        </Table>
        <h2>Add an inbound domain</h2>
        <form method="post" action={HERE} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="in-id">Inbound domain</label>
          <input id="in-id" name="id" required maxlength={253} placeholder="replies.example.com" />
          <button type="submit">Add the inbound domain</button>
        </form>
      </>,
    );
  });

  r.post('/admin/inbound', action(consoleSessions, MANAGE), async (c) => {
    const form = await formOf(c);
    const d = await domains.createInboundDomain(c.get('principal').orgId, typeof form.id === 'string' ? form.id : '');
    return redirectWith(c, link(d.id), `${d.id} was added: publish its TXT record, then check it.`);
  });

  r.get('/admin/inbound/:name', page(MANAGE), async (c) => {
    const orgId = c.get('principal').orgId;
    const d = await domains.getInboundDomain(orgId, c.req.param('name'));
    const verified = d.verificationStatus === 'VERIFIED';
    const [routes, queueList] = verified ? await Promise.all([domains.listRoutes(orgId, d.id), queues.list(orgId)]) : [[], []];
    const queueName = new Map(queueList.map((q) => [q.id, q.name]));
    const token = c.get('session').csrfToken;
    return render(
      c,
      { title: d.id, current: '/console/admin' },
      <>
        <Back href={HERE} label="Inbound domains" />
        <h1>{d.id}</h1>
        <dl class="facts">
          <dt>Verification</dt>
          <dd data-inbound-status>{d.verificationStatus}</dd>
          {d.verificationDetail && (
            <>
              <dt>Last check</dt>
              <dd>{d.verificationDetail}</dd>
            </>
          )}
        </dl>
        {d.verificationRecord && (
          <>
            <h2>Record to publish</h2>
            <p>
              A TXT record named <Copyable id="verify-name" text={d.verificationRecord.host} label="Copy the record's name" />
            </p>
            <p>
              holding <Copyable id="verify-value" text={d.verificationRecord.value} label="Copy the record's value" />
            </p>
            <form method="post" action={`${link(d.id)}/verify`}>
              <CsrfField token={token} />
              <button type="submit">Check the record now</button>
            </form>
          </>
        )}
        {verified && (
          <>
            <h2 id="routes">Routes</h2>
            <Table labelledBy="routes" columns={['Recipient', 'Queue', 'Priority', 'Action']}>
              {routes.map((route) => (
                <tr>
                  <td>
                    {route.pattern}@{d.id}
                  </td>
                  <td>{queueName.get(route.queue.id) ?? route.queue.id}</td>
                  <td>{route.priority}</td>
                  <td>
                    <RowAction action={`${link(d.id)}/routes/${encodeURIComponent(route.id)}/delete`} token={token} label="Remove" name={`Remove the route of ${route.pattern}@${d.id}`} />
                  </td>
                </tr>
              ))}
            </Table>
            <h2>Add a route</h2>
            <form method="post" action={`${link(d.id)}/routes`} class="stack">
              <CsrfField token={token} />
              <label for="route-pattern">Recipient (a local part, or * for every address)</label>
              <input id="route-pattern" name="pattern" required maxlength={64} placeholder="support" />
              <label for="route-queue">Queue</label>
              <select id="route-queue" name="queueId" required>
                {queueList.map((q) => (
                  <option value={q.id}>{q.name}</option>
                ))}
              </select>
              <label for="route-priority">Priority (higher first)</label>
              <input id="route-priority" name="priority" type="number" value="0" />
              <button type="submit">Add the route</button>
            </form>
          </>
        )}
      </>,
    );
  });

  r.post('/admin/inbound/:name/verify', action(consoleSessions, MANAGE), async (c) => {
    const d = await domains.verifyInboundDomain(c.get('principal').orgId, c.req.param('name'));
    return redirectWith(c, link(d.id), `Checked: ${d.id} is ${d.verificationStatus}.`);
  });

  r.post('/admin/inbound/:name/routes', action(consoleSessions, MANAGE), async (c) => {
    const form = valid(RouteForm, await formOf(c));
    const route = await domains.createRoute(c.get('principal').orgId, c.req.param('name'), form);
    return redirectWith(c, link(c.req.param('name')), `Mail to ${route.pattern}@${c.req.param('name')} now goes to its queue.`);
  });

  r.post('/admin/inbound/:name/routes/:id/delete', action(consoleSessions, MANAGE), async (c) => {
    await domains.deleteRoute(c.get('principal').orgId, c.req.param('name'), c.req.param('id'));
    return redirectWith(c, link(c.req.param('name')), 'The route was removed.');
  });
  return r;
}
