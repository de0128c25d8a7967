import { Hono } from 'hono';
import { EVENT_TYPES } from '../../events/events.views.js';
import { CreateWebhookBody, ReplayBody, WEBHOOK_EDIT, WEBHOOK_VIEW } from '../../webhooks/webhooks.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid, when } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back, Copyable, RowAction, Table } from './parts.js';

// Webhooks: subscribe a URL (its secret shown once, on the answer to the form), read the
// attempt log, send an event again (the same webhooks service as /api/v2/webhooks).

const HERE = '/console/admin/webhooks';
const link = (id: string) => `${HERE}/${encodeURIComponent(id)}`;
const asList = (v: string | string[] | undefined) => (v === undefined ? undefined : [v].flat());

export function webhooksRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { webhooks, consoleSessions } = services;

  r.get('/admin/webhooks', page(...WEBHOOK_VIEW), async (c) => {
    const list = await webhooks.list(c.get('principal').orgId);
    return render(
      c,
      { title: 'Webhooks', current: '/console/admin' },
      <>
        <h1>Webhooks</h1>
        <Table label="Webhooks" columns={['URL', 'Description', 'Events', 'Enabled']}>
          {list.map((w) => (
            <tr>
              <td>
                <a href={link(w.id)}>{w.url}</a>
              </td>
              <td>{w.description ?? ''}</td>
              <td>{w.eventTypes === null ? 'every type' : w.eventTypes.join(', ')}</td>
              <td>{w.enabled ? 'yes' : `no${w.disabledReason ? ` (${w.disabledReason})` : ''}`}</td>
            </tr>
          ))}
        </Table>
        {list.length === 0 && <p class="muted">No webhook yet.</p>}
        <h2>Add a webhook</h2>
        <form method="post" action={HERE} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="wh-url">URL</label>
          <input id="wh-url" name="url" type="url" required maxlength={2000} placeholder="https://hooks.example.com/threadline" />
          <label for="wh-description">Description</label>
          <input id="wh-description" name="description" maxlength={500} />
          <fieldset>
            <legend>Event types (none chosen: every type)</legend>
            {EVENT_TYPES.map((t) => (
              <div>
                <input type="checkbox" id={`wh-type-${t}`} name="eventTypes" value={t} />
                <label for={`wh-type-${t}`}>{t}</label>
              </div>
            ))}
          </fieldset>
          <button type="submit">Add the webhook</button>
        </form>
      </>,
    );
  });

  r.post('/admin/webhooks', action(consoleSessions, ...WEBHOOK_EDIT), async (c) => {
    const form = await formOf(c);
    const body = valid(CreateWebhookBody, { ...form, eventTypes: asList(form.eventTypes) });
    const created = await webhooks.create(c.get('principal').orgId, body);
    // The secret exists in clear only in this answer: it is shown here, not carried by a redirect.
    return render(
      c,
      { title: 'Webhook added', current: '/console/admin' },
      <>
        <h1>Webhook added</h1>
        <p role="status">
          Events are now sent to <strong>{created.url}</strong>.
        </p>
        <h2>Its signing secret</h2>
        <p>Copy it now: it is shown only this once (rotate it through the API to get a new one).</p>
        <p>
          <Copyable id="webhook-secret" text={created.secret} label="Copy the signing secret" />
        </p>
        <Back href={link(created.id)} label="Go to the webhook" />
      </>,
    );
  });

  r.get('/admin/webhooks/:id', page(...WEBHOOK_VIEW), async (c) => {
    const orgId = c.get('principal').orgId;
    const w = await webhooks.get(orgId, c.req.param('id'));
    const { entities, total } = await webhooks.attempts(orgId, w.id, { pageSize: 50, pageNumber: 1 });
    const token = c.get('session').csrfToken;
    return render(
      c,
      { title: 'Webhook', current: '/console/admin' },
      <>
        <Back href={HERE} label="Webhooks" />
        <h1>{w.url}</h1>
        <dl class="facts">
          <dt>Description</dt>
          <dd>{w.description ?? '—'}</dd>
          <dt>Events</dt>
          <dd>{w.eventTypes === null ? 'every type' : w.eventTypes.join(', ')}</dd>
          <dt>Enabled</dt>
          <dd>{w.enabled ? 'yes' : `no${w.disabledReason ? ` (${w.disabledReason})` : ''}`}</dd>
          {w.nextTryAt && (
            <>
              <dt>Next try</dt>
              <dd>{when(w.nextTryAt)}</dd>
            </>
          )}
          <dt>Added</dt>
          <dd>{when(w.dateCreated)}</dd>
        </dl>
        <div class="actions">
          <RowAction
            action={`${link(w.id)}/enabled`}
            token={token}
            label={w.enabled ? 'Disable' : 'Enable'}
            name={w.enabled ? 'Disable the webhook' : 'Enable the webhook'}
            fields={{ enabled: w.enabled ? 'false' : 'true' }}
          />
          <RowAction action={`${link(w.id)}/remove`} token={token} label="Remove" name="Remove the webhook" />
        </div>
        <h2 id="attempts">Delivery attempts</h2>
        <p class="muted">
          The newest {entities.length} of {total}. Sending an event again keeps its webhook-id, so a receiver can tell it from a new one.
        </p>
        <Table labelledBy="attempts" columns={['Time', 'Event', 'Try', 'Answer', 'Outcome', 'Action']}>
          {entities.map((a) => (
            <tr data-event={a.eventId}>
              <td>{when(a.timestamp)}</td>
              <td>
                {a.eventType}
                <br />
                <code>{a.eventId}</code>
              </td>
              <td>{a.try}</td>
              <td>{a.status !== undefined ? `HTTP ${a.status}` : (a.error ?? '—')}</td>
              <td>{a.outcome}</td>
              <td>
                <RowAction action={`${link(w.id)}/replay`} token={token} label="Send again" name={`Send again: ${a.eventType} ${a.eventId}`} fields={{ eventId: a.eventId }} />
              </td>
            </tr>
          ))}
        </Table>
        <h2>Send an event again by its id</h2>
        <form method="post" action={`${link(w.id)}/replay`} class="stack">
          <CsrfField token={token} />
          <label for="replay-event">Event id</label>
          <input id="replay-event" name="eventId" required maxlength={100} />
          <button type="submit">Send again</button>
        </form>
      </>,
    );
  });

  r.post('/admin/webhooks/:id/enabled', action(consoleSessions, ...WEBHOOK_EDIT), async (c) => {
    const { enabled } = await formOf(c);
    const w = await webhooks.update(c.get('principal').orgId, c.req.param('id'), { enabled: enabled === 'true' });
    return redirectWith(c, link(w.id), w.enabled ? 'Enabled: events are sent again, from where it stopped.' : 'Disabled: events wait until it is enabled.');
  });

  r.post('/admin/webhooks/:id/remove', action(consoleSessions, ...WEBHOOK_EDIT), async (c) => {
    await webhooks.remove(c.get('principal').orgId, c.req.param('id'));
    return redirectWith(c, HERE, 'The webhook was removed.');
  });

  r.post('/admin/webhooks/:id/replay', action(consoleSessions, ...WEBHOOK_EDIT), async (c) => {
    const body = valid(ReplayBody, await formOf(c));
    const { queued } = await webhooks.replay(c.get('principal').orgId, c.req.param('id'), body);
    return redirectWith(c, link(c.req.param('id')), `${queued} event${queued === 1 ? '' : 's'} will be sent again.`);
  });
  return r;
}
