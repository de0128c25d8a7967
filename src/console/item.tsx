import { Hono } from 'hono';
import { hasAnyPermission, PERMISSIONS } from '../auth/permissions.js';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from './env.js';
import { page } from './guard.js';
import { CsrfField } from './layout.js';
import { decisionOf, Thread } from './thread.js';

/** What an item's page shows, read through the same services as the API (acd.get checks who may see it). */
async function loadItem({ services }: ConsoleDeps, c: ConsoleContext, id: string) {
  const p = c.get('principal');
  const item = await services.acd.get(p.orgId, id, { userId: p.userId, supervisor: hasAnyPermission(p.permissions, [PERMISSIONS.workItemView]) });
  const conversation = await services.conversations.getConversation(p.orgId, item.conversationId);
  const messages = (await services.conversations.listMessages(p.orgId, item.conversationId, { includeStitched: true, pageSize: 100, pageNumber: 1 })).entities;
  const newest = [...messages].reverse().find((m) => m.direction === 'inbound');
  const decision = newest ? await decisionOf(services, p.orgId, newest.id) : null;
  return { item, conversation, messages, decision, mine: item.state === 'leased' && item.agentId === p.userId };
}

function ThreadPart(props: { id: string; data: Awaited<ReturnType<typeof loadItem>> }) {
  return (
    <div id="thread" hx-get={`/console/items/${props.id}/thread`} hx-trigger="live from:body" hx-swap="outerHTML">
      <Thread messages={props.data.messages} decision={props.data.decision} />
    </div>
  );
}

function Actions(props: { id: string; csrf: string; queues: Array<{ id: string; name: string }>; codes: Array<{ id: string; name: string }> }) {
  const base = `/console/items/${props.id}`;
  return (
    <section aria-labelledby="actions-heading">
      <h2 id="actions-heading">Answer and wrap up</h2>
      <form method="post" action={`${base}/answer`} class="stack">
        <CsrfField token={props.csrf} />
        <div>
          <label for="answer">Your answer</label>
          <textarea id="answer" name="textBody" required maxlength={60000} />
        </div>
        <div>
          <button type="submit">Send answer</button>
        </div>
      </form>
      <form method="post" action={`${base}/complete`} class="stack">
        <CsrfField token={props.csrf} />
        {props.codes.length > 0 ? (
          <div>
            <label for="wrapup">Wrap-up code</label>
            <select id="wrapup" name="wrapupCode" required>
              <option value="">Choose a wrap-up code</option>
              {props.codes.map((w) => (
                <option value={w.id}>{w.name}</option>
              ))}
            </select>
          </div>
        ) : (
          <p class="muted">This queue has no wrap-up codes.</p>
        )}
        <div>
          <label for="notes">Notes (optional)</label>
          <textarea id="notes" name="notes" maxlength={4000} />
        </div>
        <div>
          <button type="submit">Complete</button>
        </div>
      </form>
      <div class="actions">
        <form method="post" action={`${base}/extend`}>
          <CsrfField token={props.csrf} />
          <button type="submit" class="secondary">
            Keep it for the next 5 minutes
          </button>
        </form>
        <form method="post" action={`${base}/decline`}>
          <CsrfField token={props.csrf} />
          <button type="submit" class="secondary">
            Decline
          </button>
        </form>
        {props.queues.length > 0 && (
          <form method="post" action={`${base}/transfer`}>
            <CsrfField token={props.csrf} />
            <div>
              <label for="transfer-queue">Transfer to queue</label>
              <select id="transfer-queue" name="queueId" required>
                {props.queues.map((q) => (
                  <option value={q.id}>{q.name}</option>
                ))}
              </select>
            </div>
            <button type="submit" class="secondary">
              Transfer
            </button>
          </form>
        )}
      </div>
    </section>
  );
}

/** A work item: its conversation as a thread and, for the agent holding it, the actions. */
export function itemRoutes(deps: ConsoleDeps) {
  const { services, render } = deps;
  const r = new Hono<ConsoleEnv>();
  const VIEW = [PERMISSIONS.workItemPull, PERMISSIONS.workItemView];

  r.get('/items/:id', page(...VIEW), async (c) => {
    const id = c.req.param('id');
    const data = await loadItem(deps, c, id);
    const { orgId } = c.get('principal');
    const { item, conversation } = data;
    const queues = await services.queues.list(orgId);
    const codes = data.mine ? (await services.wrapupCodes.listForQueue(orgId, item.queueId)).entities : [];
    const queueName = queues.find((q) => q.id === item.queueId)?.name ?? item.queueId;
    return render(
      c,
      { title: conversation.name || 'Work item', current: '/console', live: true },
      <>
        <p>
          <a href="/console">Back to the inbox</a>
        </p>
        <h1>{conversation.name || '(no subject)'}</h1>
        <dl class="facts">
          <dt>Customer</dt>
          <dd>{conversation.participants[0]?.address}</dd>
          <dt>Queue</dt>
          <dd>{queueName}</dd>
          <dt>State</dt>
          <dd>{data.mine ? `Yours until ${item.leaseExpires?.slice(11, 16)} UTC` : item.state}</dd>
        </dl>
        <ThreadPart id={id} data={data} />
        {data.mine && <Actions id={id} csrf={c.get('session').csrfToken} queues={queues.filter((q) => q.id !== item.queueId)} codes={codes.map((w) => ({ id: w.id, name: w.name }))} />}
      </>,
    );
  });

  r.get('/items/:id/thread', page(...VIEW), async (c) => c.html(<ThreadPart id={c.req.param('id')} data={await loadItem(deps, c, c.req.param('id'))} />));
  return r;
}
