import { Hono } from 'hono';
import type { AgentInbox } from '../acd/acd.inbox.js';
import { PERMISSIONS } from '../auth/permissions.js';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from './env.js';
import { action, page } from './guard.js';
import { CsrfField } from './layout.js';
import { redirectWith } from './render.js';

type Queues = Awaited<ReturnType<AgentInbox['queues']>>;
type Held = Array<Awaited<ReturnType<AgentInbox['held']>>[number] & { subject: string }>;

/** "3 min", "2 h 5 min": how long the oldest item has waited. */
export function waited(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const time = (iso: string | null) => (iso ? <time datetime={iso}>{iso.slice(11, 16)} UTC</time> : '—');

// Each part refreshes itself when the live stream says something changed (hx-trigger "live from:body").
function QueuesPart(props: { queues: Queues; csrf: string }) {
  return (
    <div id="queues" hx-get="/console/inbox/queues" hx-trigger="live from:body" hx-swap="outerHTML">
      {props.queues.length === 0 ? (
        <p>You are not a member of any queue yet.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Your queues and their waiting work</caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Waiting</th>
              <th scope="col">Oldest wait</th>
              <th scope="col">In progress</th>
              <th scope="col">
                <span class="visually-hidden">Take</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.queues.map((q) => (
              <tr>
                <th scope="row">{q.name}</th>
                <td>{q.stats.waiting}</td>
                <td>{waited(q.stats.oldestWaitingSeconds)}</td>
                <td>{q.stats.inProgress}</td>
                <td>
                  <form method="post" action="/console/inbox/take">
                    <CsrfField token={props.csrf} />
                    <input type="hidden" name="queueId" value={q.id} />
                    <button type="submit" aria-label={`Take next from ${q.name}`} disabled={q.stats.waiting === 0}>
                      Take next
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function HeldPart(props: { held: Held }) {
  return (
    <div id="held" hx-get="/console/inbox/held" hx-trigger="live from:body" hx-swap="outerHTML">
      {props.held.length === 0 ? (
        <p>You hold no items.</p>
      ) : (
        <ul>
          {props.held.map((i) => (
            <li>
              <a href={`/console/items/${i.id}`}>{i.subject}</a> <span class="muted">(yours until {time(i.leaseExpires)})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The agent's inbox: their queues with the waiting work, "take next", and the items they hold. */
export function inboxRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const mine = (c: ConsoleContext) => {
    const p = c.get('principal');
    return { orgId: p.orgId, userId: p.userId! };
  };
  const held = async (c: ConsoleContext): Promise<Held> => {
    const { orgId, userId } = mine(c);
    const items = await services.inbox.held(orgId, userId);
    const out: Held = [];
    for (const i of items) out.push({ ...i, subject: (await services.conversations.getConversation(orgId, i.conversationId)).name || '(no subject)' });
    return out;
  };
  const queues = (c: ConsoleContext) => services.inbox.queues(mine(c).orgId, mine(c).userId);
  const csrf = (c: ConsoleContext) => c.get('session').csrfToken;

  r.get('/', page(), async (c) =>
    render(
      c,
      { title: 'Inbox', current: '/console', live: true },
      <>
        <h1>Inbox</h1>
        <section aria-labelledby="queues-heading">
          <h2 id="queues-heading">Your queues</h2>
          <form method="post" action="/console/inbox/take" class="actions">
            <CsrfField token={csrf(c)} />
            <button type="submit">Take the next item from any of your queues</button>
          </form>
          <QueuesPart queues={await queues(c)} csrf={csrf(c)} />
        </section>
        <section aria-labelledby="held-heading">
          <h2 id="held-heading">Your items</h2>
          <HeldPart held={await held(c)} />
        </section>
      </>,
    ),
  );
  r.get('/inbox/queues', page(), async (c) => c.html(<QueuesPart queues={await queues(c)} csrf={csrf(c)} />));
  r.get('/inbox/held', page(), async (c) => c.html(<HeldPart held={await held(c)} />));

  // The same pull as POST /api/v2/acd/…/pull: an atomic claim with a lease.
  r.post('/inbox/take', action(services.consoleSessions, PERMISSIONS.workItemPull), async (c) => {
    const form = await c.req.parseBody();
    const queueId = typeof form.queueId === 'string' && form.queueId !== '' ? form.queueId : null;
    const { orgId, userId } = mine(c);
    const item = await services.acd.pull(orgId, userId, queueId);
    if (!item) return redirectWith(c, '/console', queueId ? 'Nothing is waiting in that queue.' : 'Nothing is waiting in your queues.');
    return redirectWith(c, `/console/items/${item.id}`);
  });
  return r;
}
