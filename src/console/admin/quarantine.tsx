import { Hono } from 'hono';
import { QUARANTINE_MANAGE, ReleaseBody, resolvedBy } from '../../inbound/quarantine.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid, when } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back, Table } from './parts.js';

// The quarantine: replies that named a conversation but failed the authentication rule, for an
// administrator to read, release or drop (the same inbound service as /api/v2/routing/email/quarantine).

const HERE = '/console/admin/quarantine';
const STATES = ['held', 'released', 'dropped', 'all'] as const;

export function quarantineRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { inbound, consoleSessions } = services;

  r.get('/admin/quarantine', page(...QUARANTINE_MANAGE), async (c) => {
    const asked = c.req.query('state');
    const state = STATES.find((s) => s === asked) ?? 'held';
    const { entities } = await inbound.listQuarantine(c.get('principal').orgId, { state: state === 'all' ? null : state, pageSize: 100, pageNumber: 1 });
    return render(
      c,
      { title: 'Quarantine', current: '/console/admin' },
      <>
        <h1>Quarantine</h1>
        <p>Replies that named a conversation but did not prove they came from its customer.</p>
        <form method="get" action={HERE} class="actions">
          <label for="q-state">Show</label>
          <select id="q-state" name="state">
            {STATES.map((s) => (
              <option value={s} selected={s === state}>
                {s}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            Show
          </button>
        </form>
        <Table label="Quarantined replies" columns={['Received', 'From', 'Subject', 'Reason', 'State']}>
          {entities.map((q) => (
            <tr>
              <td>{when(q.dateReceived)}</td>
              <td>{q.from}</td>
              <td>
                <a href={`${HERE}/${encodeURIComponent(q.id)}`}>{q.subject || '(no subject)'}</a>
              </td>
              <td>{q.reason}</td>
              <td>{q.state}</td>
            </tr>
          ))}
        </Table>
        {entities.length === 0 && <p class="muted">Nothing here.</p>}
      </>,
    );
  });

  r.get('/admin/quarantine/:id', page(...QUARANTINE_MANAGE), async (c) => {
    const q = await inbound.getQuarantine(c.get('principal').orgId, c.req.param('id'));
    const base = `${HERE}/${encodeURIComponent(q.id)}`;
    const token = c.get('session').csrfToken;
    return render(
      c,
      { title: 'Quarantined reply', current: '/console/admin' },
      <>
        <Back href={HERE} label="Quarantine" />
        <h1>{q.subject || '(no subject)'}</h1>
        <dl class="facts">
          <dt>State</dt>
          <dd data-quarantine-state>{q.state}</dd>
          <dt>Reason</dt>
          <dd>{q.reason}</dd>
          <dt>From</dt>
          <dd>{q.from}</dd>
          <dt>Envelope sender</dt>
          <dd>{q.envelopeFrom ?? '—'}</dd>
          <dt>Recipients</dt>
          <dd>{q.recipients.join(', ')}</dd>
          <dt>Sent from</dt>
          <dd>{q.remoteAddress ?? '—'}</dd>
          <dt>Conversation</dt>
          <dd>{q.conversationId}</dd>
          <dt>Received</dt>
          <dd>{when(q.dateReceived)}</dd>
          {q.resolvedBy && (
            <>
              <dt>Resolved</dt>
              <dd>
                {q.resolution} by {q.resolvedBy}, {when(q.dateResolved)}
              </dd>
            </>
          )}
        </dl>
        <details>
          <summary>Authentication-Results</summary>
          <pre>{q.authenticationResults}</pre>
        </details>
        <details>
          <summary>Threading decision</summary>
          <pre>{JSON.stringify(q.threading, null, 2)}</pre>
        </details>
        {q.state === 'held' && (
          <div class="actions">
            <form method="post" action={`${base}/release`}>
              <CsrfField token={token} />
              <fieldset>
                <legend>Release into</legend>
                <input type="radio" id="into-conversation" name="into" value="conversation" checked />
                <label for="into-conversation">its conversation</label>
                <input type="radio" id="into-new" name="into" value="new" />
                <label for="into-new">a new conversation</label>
              </fieldset>
              <button type="submit">Release</button>
            </form>
            <form method="post" action={`${base}/drop`}>
              <CsrfField token={token} />
              <button type="submit" class="secondary">
                Drop
              </button>
            </form>
          </div>
        )}
      </>,
    );
  });

  r.post('/admin/quarantine/:id/release', action(consoleSessions, ...QUARANTINE_MANAGE), async (c) => {
    const { into } = valid(ReleaseBody, await formOf(c));
    const p = c.get('principal');
    const q = await inbound.release(p.orgId, c.req.param('id'), into, resolvedBy(p));
    return redirectWith(c, `${HERE}/${encodeURIComponent(q.id)}`, into === 'new' ? 'Released as a new conversation.' : 'Released into its conversation.');
  });

  r.post('/admin/quarantine/:id/drop', action(consoleSessions, ...QUARANTINE_MANAGE), async (c) => {
    const p = c.get('principal');
    const q = await inbound.drop(p.orgId, c.req.param('id'), resolvedBy(p));
    return redirectWith(c, `${HERE}/${encodeURIComponent(q.id)}`, 'Dropped: the message was deleted.');
  });
  return r;
}
