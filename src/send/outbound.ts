import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Executor } from '../db/schema.js';
import type { DeliveryQueue } from '../delivery/outbox.js';
import type { DomainsService } from '../domains/domains.service.js';
import type { SenderDomainsService } from '../domains/sender-domains.js';
import { newId } from '../ids.js';
import { domainOf } from '../mail/address.js';
import { messageIdHeader, replyAddress, type TokenKeys } from '../mail/tokens.js';
import type { RateLimitService } from '../ratelimit/ratelimit.service.js';
import type { SuppressionService } from '../suppression/suppression.service.js';
import { threadIndexRoot } from '../threading/thread-index.js';
import type { ThreadingService } from '../threading/threading.service.js';
import { checkContent, checkParty, type Party } from './draft.js';
import type { SendLimit } from './send-limit.js';

// The one way out: every message threadline sends (an agentless send, an agent's answer, a
// template send) is checked, counted, recorded and queued here, so that a rule about sending
// (suppression, limits, schedules) is written once.

/** A message to send, as a route or a schedule composed it; `submit` checks every field. */
export interface Draft {
  senderType: 'Outbound' | 'Agent';
  /**
   * `existing`: a conversation of this organization the caller has read (an agent's answer);
   * `send`: the send's own, a new conversation or the one it names (Genesys "stitches" those).
   */
  conversation: { existing: string } | { send: string | undefined };
  from: { email: string; name?: string | null };
  to: { email: string; name?: string | null };
  /** Null: a signed reply address at the organization's inbound domain, when it has one. */
  replyTo: { email: string; name?: string | null } | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  /** Threading headers of an answer; a first message starts its own thread. */
  thread?: { inReplyTo: string | null; references: string[]; threadIndex: string | null; topic: string | null };
  /** When delivery may begin (ms since the epoch); now when absent. */
  at?: number;
  /** How the request names the address fields, for errors (`fromAddress`, `toAddresses[0]` …). */
  fields: { from: string; to: string; replyTo?: string };
}

export interface Queued {
  id: string;
  /** `suppressed`: recorded, never sent (the organization records sends to suppressed addresses). */
  status: 'queued' | 'suppressed';
  conversationId: string;
  from: Party;
  to: Party;
  replyTo: Party | null;
  subject: string | null;
  createdAt: number;
}

export type Submit = (draft: Draft) => Promise<Queued>;
export type OutboundService = ReturnType<typeof createOutbound>;

export function createOutbound(deps: {
  batcher: TxBatcher;
  clock: Clock;
  keys: TokenKeys;
  sendLimit: SendLimit;
  conversations: ConversationsService;
  domains: DomainsService & Pick<SenderDomainsService, 'assertCanSendFrom'>;
  threading: ThreadingService;
  rateLimit: RateLimitService;
  delivery: DeliveryQueue;
  suppressions: Pick<SuppressionService, 'active' | 'refusal'>;
}) {
  const { clock, keys, conversations } = deps;

  /** validate → check suppression → record → enqueue, in the caller's transaction. */
  async function submit(trx: Executor, orgId: string, limit: number, d: Draft): Promise<Queued> {
    const from = checkParty(d.fields.from, d.from);
    const to = checkParty(d.fields.to, d.to);
    let replyTo = d.replyTo ? checkParty(d.fields.replyTo ?? 'replyTo', d.replyTo) : null;
    checkContent(d.subject, d.text, d.html);
    // The entry and the organization's choice are read together, in this transaction: a choice
    // just changed applies at once.
    const suppressed = await deps.suppressions.active(trx, orgId, to.email);
    if (suppressed && suppressed.suppressed_sends !== 'record') throw deps.suppressions.refusal(`${d.fields.to}.email`, suppressed);
    const fromDomain = domainOf(from.email);
    await deps.domains.assertCanSendFrom(trx, orgId, fromDomain, `${d.fields.from}.email`);
    await deps.rateLimit.take(trx, orgId, limit);

    const conversation =
      'existing' in d.conversation ? { id: d.conversation.existing, stitched: false } : await conversations.startOrContinue(trx, orgId, d.conversation.send, to.email, d.subject);
    const now = clock.now();
    const id = newId(now);
    if (!replyTo) {
      const inbound = await deps.domains.replyDomainFor(trx, orgId);
      if (inbound) replyTo = { email: replyAddress(keys, id, inbound), name: null };
    }
    const status = suppressed ? 'suppressed' : 'queued';
    const createdAt = await conversations.recordOutbound(
      trx,
      {
        id,
        org_id: orgId,
        conversation_id: conversation.id,
        direction: 'outbound',
        sender_type: d.senderType,
        stitched: conversation.stitched ? 1 : 0,
        from_email: from.email,
        from_name: from.name,
        to_email: to.email,
        to_name: to.name,
        reply_to_email: replyTo?.email ?? null,
        reply_to_name: replyTo?.name ?? null,
        subject: d.subject,
        text_body: d.text,
        html_body: d.html,
        message_id_header: messageIdHeader(keys, id, fromDomain),
      },
      suppressed ? { status: 'suppressed', detail: `${to.email} is suppressed (${suppressed.reason})` } : undefined,
    );
    if (d.thread) {
      await deps.threading.recordHeaders(trx, {
        message_id: id,
        org_id: orgId,
        in_reply_to: d.thread.inReplyTo,
        references_list: d.thread.references.length ? d.thread.references.join(' ') : null,
        thread_index: d.thread.threadIndex,
        thread_index_root: threadIndexRoot(d.thread.threadIndex),
        thread_topic: d.thread.topic,
        created_at: now,
      });
    }
    if (!suppressed) await deps.delivery.enqueue(trx, id, orgId, d.at ?? now);
    return { id, status, conversationId: conversation.id, from, to, replyTo, subject: d.subject, createdAt };
  }

  return {
    /**
     * Runs `compose` in one transaction that commits before this resolves (so an answer given
     * after it is durable); `compose` reads what it needs and hands each message to `submit`.
     * The organization's send limit is read first, on its own connection (on SQLite it would
     * wait for this very transaction).
     */
    async send<T>(orgId: string, compose: (trx: Executor, submit: Submit) => Promise<T>): Promise<T> {
      const limit = await deps.sendLimit(orgId);
      let submitted = 0;
      const result = await deps.batcher.run((trx) =>
        compose(trx, (draft) => {
          submitted++;
          return submit(trx, orgId, limit, draft);
        }),
      );
      if (submitted > 0) deps.delivery.wake();
      return result;
    },
  };
}
