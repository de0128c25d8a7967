import { Hono } from 'hono';
import { PERMISSIONS } from '../../auth/permissions.js';
import { rawHead } from '../../delivery/raw-source.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { page } from '../guard.js';
import { decisionOf } from '../thread.js';
import { encodeKey, PAGE_SIZE, parseSearch } from './search-params.js';
import { InteractionsNav, STYLES } from './section.js';
import { conversationPath, MessagesTable, Pager, when } from './views.js';

/** How much of a message's source and text a page shows: enough to read its headers and start. */
export const RAW_SHOWN = 64 * 1024;
const TEXT_SHOWN = 20_000;

const Fact = (props: { term: string; children?: unknown }) => (
  <>
    <dt>{props.term}</dt>
    <dd>{props.children as string}</dd>
  </>
);

/** A message's page (status history, SMTP responses, bounce, threading, source) and a conversation's. */
export function messageRoutes(deps: ConsoleDeps, options: { dataDir: string }) {
  const { services, render } = deps;
  const r = new Hono<ConsoleEnv>();

  r.get('/interactions/conversations/:conversationId/messages/:messageId', page(PERMISSIONS.conversationDetailView), async (c) => {
    const p = c.get('principal');
    const { conversationId, messageId } = c.req.param();
    const m = await services.conversations.getMessage(p.orgId, conversationId, messageId);
    const decision = m.direction === 'inbound' ? await decisionOf(deps.services, p.orgId, m.id) : null;
    const raw = await rawHead({ inbound: services.inbound, dataDir: options.dataDir }, m, RAW_SHOWN);
    const history = 'statusHistory' in m ? (m.statusHistory ?? []) : [];
    const bounce = 'bounce' in m ? m.bounce : undefined;
    const inbound = 'inbound' in m ? m.inbound : undefined;
    return render(
      c,
      { title: m.subject || 'Message', current: '/console/interactions', styles: STYLES },
      <>
        <InteractionsNav current="none" />
        <h1>{m.subject || '(no subject)'}</h1>
        <dl class="facts">
          <Fact term="Direction">{m.direction}</Fact>
          <Fact term="From">{m.from.email}</Fact>
          <Fact term="To">{m.to.map((t) => t.email).join(', ')}</Fact>
          <Fact term="Time">{when(m.time)}</Fact>
          <Fact term="Status">
            <span data-status>{m.deliveryStatus.status}</span> since {when(m.deliveryStatus.time)}, {m.deliveryStatus.attempts} attempt(s)
          </Fact>
          {'smtpResponse' in m.deliveryStatus && <Fact term="Last SMTP response">{m.deliveryStatus.smtpResponse}</Fact>}
          <Fact term="Message-ID">{m.messageId}</Fact>
          <Fact term="Conversation">
            <a href={conversationPath(conversationId)}>{conversationId}</a>
          </Fact>
          {inbound && <Fact term="Kind">{`${inbound.kind} (${inbound.kindReason})`}</Fact>}
        </dl>

        <h2 id="history">Status history</h2>
        <table aria-labelledby="history" data-history>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Time</th>
              <th scope="col">SMTP response</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr>
                <td>{h.status}</td>
                <td>{when(h.time)}</td>
                <td>{'smtpResponse' in h ? h.smtpResponse : ''}</td>
                <td>{'detail' in h ? h.detail : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>

        {bounce && (
          <>
            <h2>Bounce</h2>
            <dl class="facts" data-bounce>
              <Fact term="Action">{bounce.action}</Fact>
              {bounce.type && <Fact term="Type">{bounce.type}</Fact>}
              {bounce.status && <Fact term="Status code">{bounce.status}</Fact>}
              {bounce.reason && <Fact term="Reason">{bounce.reason}</Fact>}
              {bounce.diagnostic && <Fact term="Diagnostic">{bounce.diagnostic}</Fact>}
              {bounce.remoteMta && <Fact term="Remote MTA">{bounce.remoteMta}</Fact>}
              <Fact term="Learnt from">{`${bounce.source}, ${when(bounce.time)}`}</Fact>
            </dl>
          </>
        )}

        {decision && (
          <>
            <h2>Threading decision</h2>
            <p data-threading>
              Signal <strong>{decision.signal}</strong>, outcome <strong>{decision.outcome}</strong>, decided {when(decision.decidedAt)}.
            </p>
            <details>
              <summary>Candidates and rules</summary>
              <pre class="source" tabindex={0}>
                {JSON.stringify(decision, null, 2)}
              </pre>
            </details>
          </>
        )}

        <h2>Text</h2>
        <pre class="source" tabindex={0}>
          {m.textBody.length > TEXT_SHOWN ? `${m.textBody.slice(0, TEXT_SHOWN)}\n…` : m.textBody}
        </pre>

        <h2 id="raw">Source</h2>
        {raw ? (
          <>
            <p class="muted">{raw.bytes.length < raw.size ? `The first ${raw.bytes.length} of ${raw.size} bytes.` : `${raw.size} bytes.`}</p>
            <pre class="source" data-raw tabindex={0}>
              {raw.bytes.toString('latin1')}
            </pre>
          </>
        ) : (
          <p class="muted">No copy of this message's source is kept: it is not delivered yet, or outbound mail is not in capture mode.</p>
        )}
      </>,
    );
  });

  r.get('/interactions/conversations/:conversationId', page(PERMISSIONS.conversationDetailView), async (c) => {
    const p = c.get('principal');
    const id = c.req.param('conversationId');
    const conversation = await services.conversations.getConversation(p.orgId, id);
    const { before } = parseSearch({ before: c.req.query('before') });
    const found = await services.conversations.findMessages(p.orgId, { conversationId: id }, before, PAGE_SIZE);
    return render(
      c,
      { title: conversation.name || 'Conversation', current: '/console/interactions', styles: STYLES },
      <>
        <InteractionsNav current="none" />
        <h1>{conversation.name || '(no subject)'}</h1>
        <dl class="facts">
          <Fact term="Customer">{conversation.participants[0]?.address}</Fact>
          <Fact term="Started">{when(conversation.dateCreated)}</Fact>
          <Fact term="Last change">{when(conversation.dateModified)}</Fact>
          <Fact term="Id">{conversation.id}</Fact>
        </dl>
        <h2>Messages</h2>
        <MessagesTable messages={found.entities} caption="The conversation's messages, newest first" />
        <Pager base={conversationPath(id)} query={new URLSearchParams()} next={found.next && encodeKey(found.next)} first={before === undefined} />
      </>,
    );
  });
  return r;
}
