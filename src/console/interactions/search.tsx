import { Hono } from 'hono';
import { PERMISSIONS } from '../../auth/permissions.js';
import { MESSAGE_STATUSES } from '../../conversations/conversations.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { page } from '../guard.js';
import { encodeKey, PAGE_SIZE, parseSearch, type SearchForm } from './search-params.js';
import { InteractionsNav, STYLES } from './section.js';
import { MessagesTable, Pager } from './views.js';

const Field = (props: { id: keyof SearchForm; label: string; value: string; type?: string }) => (
  <div>
    <label for={`q-${props.id}`}>{props.label}</label>
    <input id={`q-${props.id}`} name={props.id} type={props.type ?? 'text'} value={props.value} />
  </div>
);

const Choice = (props: { id: keyof SearchForm; label: string; value: string; options: readonly string[] }) => (
  <div>
    <label for={`q-${props.id}`}>{props.label}</label>
    <select id={`q-${props.id}`} name={props.id}>
      <option value="">Any</option>
      {props.options.map((o) => (
        <option value={o} selected={o === props.value}>
          {o}
        </option>
      ))}
    </select>
  </div>
);

/** Interactions: the organization's messages, searched as the API's search does, paged by key. */
export function searchRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  r.get('/interactions', page(PERMISSIONS.conversationDetailView), async (c) => {
    const p = c.get('principal');
    const { form, filter, before } = parseSearch(c.req.query());
    const found = await services.conversations.findMessages(p.orgId, filter, before, PAGE_SIZE);
    const query = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== ''));
    return render(
      c,
      { title: 'Interactions', current: '/console/interactions', styles: STYLES },
      <>
        <h1>Interactions</h1>
        <InteractionsNav current="search" />
        <form method="get" action="/console/interactions" class="search" aria-label="Search messages">
          <Field id="address" label="Address (sender or recipient)" value={form.address} type="search" />
          <Field id="conversationId" label="Conversation id" value={form.conversationId} />
          <Choice id="status" label="Status" value={form.status} options={MESSAGE_STATUSES} />
          <Choice id="direction" label="Direction" value={form.direction} options={['inbound', 'outbound']} />
          <Field id="from" label="From (UTC)" value={form.from} type="datetime-local" />
          <Field id="to" label="To (UTC)" value={form.to} type="datetime-local" />
          <div class="actions">
            <button type="submit">Search</button>
            <a href="/console/interactions">Clear</a>
          </div>
        </form>
        <h2>Messages</h2>
        <MessagesTable messages={found.entities} caption="Messages that match the search, newest first" showConversation />
        <Pager base="/console/interactions" query={query} next={found.next && encodeKey(found.next)} first={before === undefined} />
      </>,
    );
  });
  return r;
}
