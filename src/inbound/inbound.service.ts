import type { BouncesService } from '../bounces/bounces.service.js';
import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { ConversationsTable, Db, Executor } from '../db/schema.js';
import type { DomainsService } from '../domains/domains.service.js';
import type { SenderDomainsService } from '../domains/sender-domains.js';
import type { EventsService } from '../events/events.service.js';
import { newId } from '../ids.js';
import { type TokenKeys, verifyBounceAddress } from '../mail/tokens.js';
import type { Metrics } from '../ops/metrics.js';
import { parseIdList } from '../threading/signals.js';
import { threadIndexRoot } from '../threading/thread-index.js';
import type { Decision, ThreadingService } from '../threading/threading.service.js';
import { type AuthResult, authorizeReply } from './authenticate.js';
import { filedAddress } from './author.js';
import * as repo from './inbound.repo.js';
import { type Delivery, mainRecipient, type Prepared } from './prepare.js';
import { type Preparer, sourceOf } from './preparer.js';
import { createQuarantine } from './quarantine.js';
import { createReportDispatch, type ReportResult } from './reports.js';
import type { Spooled } from './spool.js';

/** What the inbound path needs from the agent queue. */
export interface WorkQueue {
  enqueue(ex: Executor, item: { orgId: string; queueId: string; conversationId: string; messageId: string; priority?: number }): Promise<unknown>;
}

export interface ReceivedMail {
  /** The message's bytes: in its spool file (SMTP), or in memory. */
  spool?: Spooled;
  raw?: Buffer;
  envelopeFrom: string;
  recipients: string[];
  remoteAddress: string;
  helo: string | null;
}

export interface Stored {
  orgId: string;
  /** The stored message's id; for a quarantined reply, the quarantine entry's. */
  messageId: string;
  /** The conversation it joined or started; for a quarantined reply, the one it named. */
  conversationId: string;
  duplicate: boolean;
  kind: string;
  outcome: Decision['outcome'] | 'duplicate' | 'quarantined';
  workItem: boolean;
}

const splitAddress = (a: string) => {
  const at = a.lastIndexOf('@');
  return { local: a.slice(0, at), domain: a.slice(at + 1).toLowerCase() };
};

export type InboundService = ReturnType<typeof createInboundService>;

export function createInboundService(deps: {
  db: Db;
  batcher: TxBatcher;
  clock: Clock;
  events: EventsService;
  conversations: ConversationsService;
  domains: DomainsService & Pick<SenderDomainsService, 'isSenderDomain'>;
  threading: ThreadingService;
  work: WorkQueue;
  /** Parses and authenticates each message: in inbound threads, or in-line. */
  preparer: Preparer;
  keys: TokenKeys;
  bounces: BouncesService;
  metrics?: Metrics;
}) {
  const { db, batcher, clock, conversations, domains, threading } = deps;

  /**
   * Stores the message where `decision` says, with everything learnt about it. `conversation`:
   * the row of the conversation it joins, when the caller has read it already.
   */
  async function store(trx: Executor, orgId: string, p: Prepared, d: Delivery, decision: Decision, auth: AuthResult, conversation?: Pick<ConversationsTable, 'queue_id'>): Promise<Stored> {
    let conversationId = decision.conversationId;
    // A threaded reply goes to its conversation's queue; a new conversation, or one
    // started by a send (no queue yet), to the route of the address written to.
    const known = conversationId ? (conversation ?? (await conversations.conversationRow(trx, orgId, conversationId)))?.queue_id : null;
    const { local, domain } = splitAddress(d.to);
    const queue = known ? { queueId: known, priority: 0 } : await domains.routeFor(trx, orgId, domain, local);
    if (!conversationId) {
      conversationId = await conversations.startInbound(trx, orgId, {
        customerEmail: filedAddress(p.author, d.envelopeFrom),
        subject: p.subject,
        queueId: queue?.queueId ?? null,
        previousConversationId: decision.previousConversationId,
      });
    } else if (!known && queue) {
      await conversations.setQueue(trx, conversationId, queue.queueId);
    }

    const now = clock.now();
    const id = newId(now);
    await conversations.recordInbound(trx, {
      id,
      org_id: orgId,
      conversation_id: conversationId,
      direction: 'inbound',
      sender_type: 'Customer',
      stitched: 0,
      from_email: filedAddress(p.author, d.envelopeFrom),
      from_name: p.author.name,
      to_email: d.to.toLowerCase(),
      to_name: null,
      reply_to_email: p.replyTo.email,
      reply_to_name: p.replyTo.name,
      subject: p.subject,
      text_body: p.text,
      html_body: p.html,
      message_id_header: p.messageIdHeader,
    });
    await repo.insertDetails(trx, {
      message_id: id,
      org_id: orgId,
      envelope_from: d.envelopeFrom,
      envelope_to: d.to.toLowerCase(),
      remote_address: d.remoteAddress,
      helo: d.helo,
      kind: p.kind.kind,
      kind_reason: p.kind.reason,
      reply_text: p.replyText,
      content_hash: p.hash,
      size_bytes: d.raw.size,
      auth_results: auth.header,
      auth_summary: JSON.stringify(auth.summary),
      skipped: p.skipped.length ? JSON.stringify(p.skipped) : null,
    });
    await repo.insertRaw(trx, id, d.raw);
    await threading.recordHeaders(trx, {
      message_id: id,
      org_id: orgId,
      in_reply_to: p.inReplyTo ? (parseIdList(p.inReplyTo)[0] ?? null) : null,
      references_list: p.references.length ? p.references.join(' ') : null,
      thread_index: p.threadIndex,
      thread_index_root: threadIndexRoot(p.threadIndex),
      thread_topic: p.threadTopic,
      created_at: now,
    });
    // Why a message has no author stays on its threading record for an administrator to see.
    await threading.record(trx, orgId, id, conversationId, p.author.problem ? { ...decision, authorProblem: p.author.problem } : decision);
    // Only a person's reply is work for an agent; auto-replies, bounces and complaints
    // stay on the conversation and are never answered automatically.
    const workItem = p.kind.kind === 'reply' && queue !== null;
    if (workItem) await deps.work.enqueue(trx, { orgId, queueId: queue!.queueId, conversationId, messageId: id, priority: queue!.priority });
    return { orgId, messageId: id, conversationId, duplicate: false, kind: p.kind.kind, outcome: decision.outcome, workItem };
  }

  const reports = createReportDispatch({ db, batcher, keys: deps.keys, bounces: deps.bounces, conversations, domains, ...(deps.metrics ? { metrics: deps.metrics } : {}) });
  const quarantine = createQuarantine({ db, batcher, clock, events: deps.events, store, onStored: (s) => deps.metrics?.inboundTotal.inc({ kind: s.kind, outcome: s.outcome }) });

  return {
    /**
     * Whether we take mail for a recipient: an address on an inbound domain, or a message's
     * return path whose token verifies; any other address at a sender domain is an unknown user
     * (a bounce for no message of ours), anything else a relay attempt.
     */
    /** The organization an inbound address belongs to, or null. */
    recipientOrg: (address: string) => domains.inboundDomainOrg(db, splitAddress(address).domain),

    async recipient(address: string): Promise<'accept' | 'unknown-user' | 'relay'> {
      // verifyBounceAddress reads the address's shape first: any other address costs a regex.
      const messageId = verifyBounceAddress(deps.keys, address);
      if (messageId && (await conversations.findMessageById(messageId))) return 'accept';
      const { domain } = splitAddress(address);
      if (await domains.inboundDomainOrg(db, domain)) return 'accept';
      return (await domains.isSenderDomain(db, domain)) ? 'unknown-user' : 'relay';
    },

    /**
     * Parses and authenticates once, then threads and stores the message for each organization
     * it is addressed to, in one transaction per organization. A reply that names a conversation
     * but fails the organization's authentication rule is held in quarantine instead. Resolves
     * only once everything is committed: the SMTP layer answers 250 after this.
     */
    async receive(received: ReceivedMail): Promise<Array<Stored | ReportResult>> {
      // Reports to our return paths are dispatched first and never reach threading.
      const dispatched = await reports.returnPaths({ raw: sourceOf(received), envelopeFrom: received.envelopeFrom, recipients: received.recipients });
      if (dispatched.recipients.length === 0) return dispatched.results;
      const mail = { ...received, recipients: dispatched.recipients };
      const { p, auth } = await deps.preparer.examine(mail);
      deps.metrics?.inboundDmarcTotal.inc({ result: auth.summary.dmarc.result });

      const byOrg = new Map<string, string[]>();
      for (const r of mail.recipients) {
        const org = await domains.inboundDomainOrg(db, splitAddress(r).domain);
        if (org) byOrg.set(org, [...(byOrg.get(org) ?? []), r]);
      }
      const results: Array<Stored | ReportResult> = [...dispatched.results];
      for (const [orgId, recipients] of byOrg) {
        // A report that came to an inbound address: applied to the message it names, never threaded.
        const report = p.kind.kind === 'bounce' || p.kind.kind === 'complaint' ? await reports.atInbound(orgId, { raw: sourceOf(mail), envelopeFrom: mail.envelopeFrom }) : null;
        if (report) {
          results.push(report);
          continue;
        }
        const to = mainRecipient(recipients);
        const d: Delivery = { raw: sourceOf(mail), envelopeFrom: mail.envelopeFrom, remoteAddress: mail.remoteAddress, helo: mail.helo, recipients, to };
        const duplicate = (m: { id: string; conversation_id: string }): Stored => ({
          orgId,
          messageId: m.id,
          conversationId: m.conversation_id,
          duplicate: true,
          kind: p.kind.kind,
          outcome: 'duplicate',
          workItem: false,
        });
        results.push(
          await batcher.run(async (trx): Promise<Stored> => {
            const dup = await repo.findDuplicate(trx, orgId, p.messageIdHeader, p.hash, to.toLowerCase());
            if (dup) return duplicate(dup);

            const decision = await threading.decide(trx, orgId, { recipients, inReplyTo: p.inReplyTo, references: p.references, threadIndex: p.threadIndex }, p.subject);
            // Mail we cannot parse is kept (a 4xx would have the sender retry it for days, to no
            // end) and held for an administrator, with the conversation its headers name if any.
            if (p.unparseable !== null) {
              const held = await repo.findHeld(trx, orgId, p.messageIdHeader);
              if (held) return duplicate(held);
              const policy = (await threading.settingsIn(trx, orgId)).inboundAuth;
              const authentication = { policy, allowed: false, rule: 'unparseable', reason: `unparseable: ${p.unparseable}` };
              const id = await quarantine.hold(trx, orgId, p, d, { ...decision, conversationId: decision.conversationId ?? '', authentication }, auth);
              return { orgId, messageId: id, conversationId: decision.conversationId ?? '', duplicate: false, kind: p.kind.kind, outcome: 'quarantined', workItem: false };
            }
            if (!decision.conversationId) return store(trx, orgId, p, d, decision, auth);
            const conversation = await conversations.conversationRow(trx, orgId, decision.conversationId);
            const policy = (await threading.settingsIn(trx, orgId)).inboundAuth;
            const authentication = authorizeReply(auth.summary, p.author, conversation?.customer_email ?? '', policy);
            if (authentication.allowed) return store(trx, orgId, p, d, { ...decision, authentication }, auth, conversation);
            // A retry of a delivery already held is a duplicate too.
            const held = await repo.findHeld(trx, orgId, p.messageIdHeader);
            if (held) return duplicate(held);
            const id = await quarantine.hold(trx, orgId, p, d, { ...decision, conversationId: decision.conversationId, authentication }, auth);
            return { orgId, messageId: id, conversationId: decision.conversationId, duplicate: false, kind: p.kind.kind, outcome: 'quarantined', workItem: false };
          }),
        );
      }
      for (const r of results) {
        if (r.outcome === 'applied' || r.outcome === 'dropped') continue; // counted by the report dispatch
        if (r.duplicate) deps.metrics?.inboundDuplicatesTotal.inc();
        else deps.metrics?.inboundTotal.inc({ kind: r.kind, outcome: r.outcome });
        if (r.outcome === 'quarantined') deps.metrics?.quarantinedTotal.inc();
      }
      return results;
    },

    listQuarantine: quarantine.listQuarantine,
    getQuarantine: quarantine.getQuarantine,
    release: quarantine.release,
    drop: quarantine.drop,

    raw: (messageId: string) => repo.findRaw(db, messageId),
    rawHead: (messageId: string, max: number) => repo.findRawHead(db, messageId, max),
    details: (messageId: string) => repo.findDetails(db, messageId),
  };
}
