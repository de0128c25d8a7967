import type { MessageView } from '../conversations/conversations.views.js';
import type { Services } from '../deps.js';
import { AppError } from '../errors.js';
import type { AuthSummary } from '../inbound/authenticate.js';

type Decision = Record<string, unknown> | null;

/** The threading decision of a received message, or null when none was recorded (a send's message); any other failure is the page's. */
export async function decisionOf(services: Pick<Services, 'threading'>, orgId: string, messageId: string) {
  try {
    return await services.threading.explain(orgId, messageId);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return null;
    throw err;
  }
}

const when = (iso: string) => <time datetime={iso}>{iso.replace('T', ' ').slice(0, 16)} UTC</time>;
const who = (m: MessageView) => (m.senderType === 'Customer' ? 'Customer' : m.senderType === 'Agent' ? 'Agent' : 'Notification');
const party = (a: { email: string; name?: string }) => (a.name ? `${a.name} <${a.email}>` : a.email);

type Ruling = { policy: string; allowed: boolean; rule: string; reason: string };

function Verdict(props: { auth: AuthSummary | undefined; ruling: Ruling | undefined }) {
  const a = props.auth;
  const r = props.ruling;
  if (!a) return <p>No authentication was recorded for this message.</p>;
  const dkim = a.dkim.length === 0 ? 'no signature' : a.dkim.map((d) => `${d.result} (${d.domain}${d.aligned ? ', aligned' : ''})`).join(', ');
  return (
    <dl class="facts">
      {r && (
        <>
          <dt>Verdict</dt>
          <dd>
            {r.allowed ? 'Let in' : 'Not let in'} by the rule {r.rule} (policy {r.policy}): {r.reason}
          </dd>
        </>
      )}
      <dt>DMARC</dt>
      <dd>
        {a.dmarc.result}
        {a.dmarc.policy ? ` (policy ${a.dmarc.policy})` : ''}
        {a.dmarc.domain ? ` for ${a.dmarc.domain}` : ''}
      </dd>
      <dt>SPF</dt>
      <dd>
        {a.spf.result}
        {a.spf.domain ? ` (${a.spf.domain}${a.spf.aligned ? ', aligned' : ''})` : ''}
      </dd>
      <dt>DKIM</dt>
      <dd>{dkim}</dd>
      <dt>ARC</dt>
      <dd>{a.arc.result}</dd>
    </dl>
  );
}

function Threading(props: { decision: Decision }) {
  const d = props.decision;
  if (!d) return <p>No threading decision was recorded for this message.</p>;
  const candidates = Array.isArray(d.candidates) ? (d.candidates as Array<Record<string, unknown>>) : [];
  return (
    <dl class="facts">
      <dt>Signal</dt>
      <dd>{String(d.signal)}</dd>
      <dt>Outcome</dt>
      <dd>{String(d.outcome)}</dd>
      {d.authorProblem !== undefined && (
        <>
          <dt>Author problem</dt>
          <dd>{String(d.authorProblem)}</dd>
        </>
      )}
      <dt>Candidates</dt>
      <dd>{candidates.length === 0 ? 'none' : candidates.map((c) => `${String(c.signal)}: ${String(c.outcome)}`).join('; ')}</dd>
    </dl>
  );
}

/** The newest customer message: its new text first, the quoted history folded, and how it got here one click away. */
function Newest(props: { message: MessageView; decision: Decision }) {
  const m = props.message;
  const fresh = m.inbound?.replyText || m.textBody;
  const auth = m.inbound?.authentication as AuthSummary | undefined;
  return (
    <article class="card message" aria-labelledby="newest-heading">
      <h2 id="newest-heading">New from the customer</h2>
      <header>
        <span>{party(m.from)}</span>
        {when(m.time)}
        <span>{m.subject}</span>
      </header>
      <div class="body">{fresh}</div>
      {m.textBody !== fresh && (
        <details>
          <summary>Quoted history</summary>
          <div class="body">{m.textBody}</div>
        </details>
      )}
      <details>
        <summary>Authentication and threading</summary>
        <h3>Authentication</h3>
        <Verdict auth={auth} ruling={props.decision?.authentication as Ruling | undefined} />
        <h3>Threading</h3>
        <Threading decision={props.decision} />
      </details>
    </article>
  );
}

/**
 * A conversation as a thread: the customer's newest message on top, then everything earlier
 * (newest first), each folded to one line until opened.
 */
export function Thread(props: { messages: MessageView[]; decision: Decision }) {
  const newestFirst = [...props.messages].reverse();
  const newest = newestFirst.find((m) => m.direction === 'inbound');
  const earlier = newestFirst.filter((m) => m !== newest);
  return (
    <>
      {newest ? <Newest message={newest} decision={props.decision} /> : <p>The customer has not written in this conversation yet.</p>}
      {earlier.length > 0 && (
        <section aria-labelledby="earlier-heading">
          <h2 id="earlier-heading">Earlier in the conversation</h2>
          {earlier.map((m) => (
            <details class="card message">
              <summary>
                {who(m)}: {party(m.from)}, {when(m.time)} ({m.deliveryStatus.status})
              </summary>
              <p class="muted">{m.subject}</p>
              <div class="body">{m.direction === 'inbound' ? m.inbound?.replyText || m.textBody : m.textBody}</div>
            </details>
          ))}
        </section>
      )}
    </>
  );
}
