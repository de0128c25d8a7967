import { createHash } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Db, Executor } from '../db/schema.js';
import type { DomainsService } from '../domains/domains.service.js';
import { newId } from '../ids.js';
import type { Metrics } from '../ops/metrics.js';
import { parseIdList } from '../threading/signals.js';
import { threadIndexRoot } from '../threading/thread-index.js';
import type { Decision, ThreadingService } from '../threading/threading.service.js';
import type { Lookup } from '../dns/resolver.js';
import { AppError, notFound } from '../errors.js';
import type { QuarantineTable } from '../db/schema.js';
import { authenticateMessage, authorizeReply, type AuthResult, type AuthSummary } from './authenticate.js';
import { classifyInbound } from './classify.js';
import * as repo from './inbound.repo.js';
import { extractReplyText } from './reply-text.js';

/** What the inbound path needs from the agent queue. */
export interface WorkQueue {
  enqueue(ex: Executor, item: { orgId: string; queueId: string; conversationId: string; messageId: string; priority?: number }): Promise<unknown>;
}

export interface ReceivedMail {
  raw: Buffer;
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

/** Everything the message says about itself, read once from the parsed message. */
interface Prepared {
  parsed: ParsedMail;
  kind: ReturnType<typeof classifyInbound>;
  html: string | null;
  replyText: string | null;
  hash: string;
  messageIdHeader: string;
  fromName: string | null;
  customerEmail: string;
  references: string[];
  threadIndex: string | null;
  threadTopic: string | null;
}

/** A message as the SMTP session delivered it to one organization. */
interface Delivery {
  raw: Buffer;
  envelopeFrom: string;
  remoteAddress: string;
  helo: string | null;
  recipients: string[];
  /** The recipient that says the most (the reply-token address, when there is one). */
  to: string;
}

export interface QuarantineView {
  id: string;
  state: string;
  reason: string;
  conversationId: string;
  signal: string;
  from: string;
  subject: string;
  messageId: string;
  envelopeFrom: string;
  recipients: string[];
  remoteAddress: string;
  authenticationResults: string;
  authentication: AuthSummary;
  threading: unknown;
  dateReceived: string;
  dateResolved?: string;
  resolvedBy?: string;
  resolution?: string;
  resultMessageId?: string;
  selfUri: string;
}

// Trace headers change from one delivery of a message to the next; the rest identifies it.
const headerText = (parsed: ParsedMail, name: string) => {
  const v = parsed.headers.get(name);
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
};

export function contentHash(parsed: ParsedMail): string {
  const h = createHash('sha256');
  for (const name of ['message-id', 'from', 'to', 'cc', 'date', 'subject']) h.update(`${name}:${headerText(parsed, name)}\n`);
  h.update(parsed.text ?? '').update('\0').update(typeof parsed.html === 'string' ? parsed.html : '');
  for (const a of parsed.attachments) h.update('\0').update(a.checksum ?? '');
  return h.digest('hex');
}

const splitAddress = (a: string) => {
  const at = a.lastIndexOf('@');
  return { local: a.slice(0, at), domain: a.slice(at + 1).toLowerCase() };
};

export type InboundService = ReturnType<typeof createInboundService>;

const quarantineView = (q: Omit<QuarantineTable, 'raw'>): QuarantineView => ({
  id: q.id,
  state: q.state,
  reason: q.reason,
  conversationId: q.conversation_id,
  signal: q.signal,
  from: q.from_email,
  subject: q.subject ?? '',
  messageId: `<${q.message_id_header}>`,
  envelopeFrom: q.envelope_from,
  recipients: JSON.parse(q.recipients) as string[],
  remoteAddress: q.remote_address,
  authenticationResults: q.auth_results,
  authentication: JSON.parse(q.auth_summary) as AuthSummary,
  threading: JSON.parse(q.decision) as unknown,
  dateReceived: new Date(Number(q.created_at)).toISOString(),
  ...(q.resolved_at !== null ? { dateResolved: new Date(Number(q.resolved_at)).toISOString() } : {}),
  ...(q.resolved_by ? { resolvedBy: q.resolved_by } : {}),
  ...(q.resolution ? { resolution: q.resolution } : {}),
  ...(q.result_message_id ? { resultMessageId: q.result_message_id } : {}),
  selfUri: `/api/v2/routing/email/quarantine/${q.id}`,
});

export function createInboundService(deps: {
  db: Db;
  batcher: TxBatcher;
  clock: Clock;
  conversations: ConversationsService;
  domains: DomainsService;
  threading: ThreadingService;
  work: WorkQueue;
  /** DNS lookups for SPF, DKIM, DMARC and ARC (cached; THREADLINE_DNS_SERVERS). */
  lookup: Lookup;
  /** Our host name: the authserv-id in Authentication-Results. */
  hostname: string;
  metrics?: Metrics;
}) {
  const { db, batcher, clock, conversations, domains, threading } = deps;

  async function prepare(raw: Buffer, envelopeFrom: string): Promise<Prepared> {
    const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
    const html = typeof parsed.html === 'string' ? parsed.html : null;
    const hash = contentHash(parsed);
    const from = parsed.from?.value[0];
    return {
      parsed,
      kind: classifyInbound(parsed, envelopeFrom),
      html,
      replyText: extractReplyText({ text: parsed.text ?? null, html }).text,
      hash,
      messageIdHeader: parsed.messageId ? parsed.messageId.replace(/^<|>$/g, '') : `${hash.slice(0, 32)}@missing-message-id.invalid`,
      fromName: from?.name || null,
      customerEmail: (from?.address ?? envelopeFrom ?? '').toLowerCase() || 'unknown@invalid',
      references: parseIdList(parsed.references ?? null),
      threadIndex: headerText(parsed, 'thread-index') || null,
      threadTopic: headerText(parsed, 'thread-topic') || null,
    };
  }

  /** Stores the message where `decision` says, with everything learnt about it. */
  async function store(trx: Executor, orgId: string, p: Prepared, d: Delivery, decision: Decision, auth: AuthResult): Promise<Stored> {
    const { parsed } = p;
    let conversationId = decision.conversationId;
    // A threaded reply goes to its conversation's queue; a new conversation, or one
    // started by a send (no queue yet), to the route of the address written to.
    const known = conversationId ? (await conversations.conversationRow(trx, orgId, conversationId))?.queue_id : null;
    const { local, domain } = splitAddress(d.to);
    const queue = known ? { queueId: known, priority: 0 } : await domains.routeFor(trx, orgId, domain, local);
    if (!conversationId) {
      conversationId = await conversations.startInbound(trx, orgId, {
        customerEmail: p.customerEmail,
        subject: parsed.subject ?? null,
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
      from_email: p.customerEmail,
      from_name: p.fromName,
      to_email: d.to.toLowerCase(),
      to_name: null,
      reply_to_email: parsed.replyTo?.value[0]?.address ?? null,
      reply_to_name: parsed.replyTo?.value[0]?.name || null,
      subject: parsed.subject ?? null,
      text_body: parsed.text ?? null,
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
      size_bytes: d.raw.length,
      auth_results: auth.header,
      auth_summary: JSON.stringify(auth.summary),
    });
    await repo.insertRaw(trx, id, d.raw);
    await threading.recordHeaders(trx, {
      message_id: id,
      org_id: orgId,
      in_reply_to: parsed.inReplyTo ? (parseIdList(parsed.inReplyTo)[0] ?? null) : null,
      references_list: p.references.length ? p.references.join(' ') : null,
      thread_index: p.threadIndex,
      thread_index_root: threadIndexRoot(p.threadIndex),
      thread_topic: p.threadTopic,
      created_at: now,
    });
    await threading.record(trx, orgId, id, conversationId, decision);
    // Only a person's reply is work for an agent; auto-replies, bounces and complaints
    // stay on the conversation and are never answered automatically.
    const workItem = p.kind.kind === 'reply' && queue !== null;
    if (workItem) await deps.work.enqueue(trx, { orgId, queueId: queue!.queueId, conversationId, messageId: id, priority: queue!.priority });
    return { orgId, messageId: id, conversationId, duplicate: false, kind: p.kind.kind, outcome: decision.outcome, workItem };
  }

  return {
    /** The organization a recipient belongs to, or null when we do not receive mail for it. */
    recipientOrg: (address: string) => domains.inboundDomainOrg(db, splitAddress(address).domain),

    /**
     * Parses and authenticates once, then threads and stores the message for each organization
     * it is addressed to, in one transaction per organization. A reply that names a conversation
     * but fails the organization's authentication rule is held in quarantine instead. Resolves
     * only once everything is committed: the SMTP layer answers 250 after this.
     */
    async receive(mail: ReceivedMail): Promise<Stored[]> {
      const [p, auth] = await Promise.all([
        prepare(mail.raw, mail.envelopeFrom),
        authenticateMessage(mail.raw, { remoteAddress: mail.remoteAddress, helo: mail.helo, envelopeFrom: mail.envelopeFrom, mta: deps.hostname }, deps.lookup),
      ]);
      deps.metrics?.inboundAuthTotal.inc({ result: auth.summary.dmarc.result });

      const byOrg = new Map<string, string[]>();
      for (const r of mail.recipients) {
        const org = await domains.inboundDomainOrg(db, splitAddress(r).domain);
        if (org) byOrg.set(org, [...(byOrg.get(org) ?? []), r]);
      }
      const results: Stored[] = [];
      for (const [orgId, recipients] of byOrg) {
        const to = recipients.find((r) => /^reply\+/i.test(r)) ?? recipients[0]!;
        const d: Delivery = { raw: mail.raw, envelopeFrom: mail.envelopeFrom, remoteAddress: mail.remoteAddress, helo: mail.helo, recipients, to };
        results.push(
          await batcher.run(async (trx): Promise<Stored> => {
            const dup = await repo.findDuplicate(trx, orgId, p.messageIdHeader, p.hash, to.toLowerCase());
            if (dup) return { orgId, messageId: dup.id, conversationId: dup.conversation_id, duplicate: true, kind: p.kind.kind, outcome: 'duplicate', workItem: false };
            const held = await repo.findHeld(trx, orgId, p.messageIdHeader);
            if (held) return { orgId, messageId: held.id, conversationId: held.conversation_id, duplicate: true, kind: p.kind.kind, outcome: 'duplicate', workItem: false };

            const decision = await threading.decide(trx, orgId, { recipients, inReplyTo: p.parsed.inReplyTo ?? null, references: p.references, threadIndex: p.threadIndex }, p.parsed.subject ?? null);
            if (decision.conversationId) {
              const conversation = await conversations.conversationRow(trx, orgId, decision.conversationId);
              const policy = (await threading.settingsIn(trx, orgId)).inboundAuth;
              const authz = authorizeReply(auth.summary, p.customerEmail, conversation?.customer_email ?? '', policy);
              decision.authentication = authz;
              if (!authz.allowed) {
                const id = newId(clock.now());
                await repo.insertQuarantine(trx, {
                  id,
                  org_id: orgId,
                  conversation_id: decision.conversationId,
                  signal: decision.signal,
                  reason: authz.reason,
                  from_email: p.customerEmail,
                  subject: p.parsed.subject ?? null,
                  message_id_header: p.messageIdHeader,
                  envelope_from: mail.envelopeFrom,
                  recipients: JSON.stringify(recipients),
                  remote_address: mail.remoteAddress,
                  helo: mail.helo,
                  auth_results: auth.header,
                  auth_summary: JSON.stringify(auth.summary),
                  decision: JSON.stringify(decision),
                  raw: mail.raw,
                  state: 'held',
                  created_at: clock.now(),
                  resolved_at: null,
                  resolved_by: null,
                  resolution: null,
                  result_message_id: null,
                });
                return { orgId, messageId: id, conversationId: decision.conversationId, duplicate: false, kind: p.kind.kind, outcome: 'quarantined', workItem: false };
              }
            }
            return store(trx, orgId, p, d, decision, auth);
          }),
        );
      }
      for (const r of results) {
        if (r.duplicate) deps.metrics?.inboundDuplicatesTotal.inc();
        else deps.metrics?.inboundTotal.inc({ kind: r.kind, outcome: r.outcome });
        if (r.outcome === 'quarantined') deps.metrics?.quarantinedTotal.inc();
      }
      return results;
    },

    async listQuarantine(orgId: string, opts: { state: string | null; pageSize: number; pageNumber: number }) {
      const rows = await repo.listQuarantine(db, orgId, opts.state, opts.pageSize, (opts.pageNumber - 1) * opts.pageSize);
      return { entities: rows.map(quarantineView), pageSize: opts.pageSize, pageNumber: opts.pageNumber };
    },
    async getQuarantine(orgId: string, id: string) {
      const q = await repo.findQuarantine(db, orgId, id);
      if (!q) throw notFound(`Quarantined message ${id}`);
      return quarantineView(q);
    },

    /**
     * An administrator's release of a held reply: into the conversation it named (the decision
     * record says who released it and why it was held), or as a new conversation linked to it.
     */
    async release(orgId: string, id: string, into: 'conversation' | 'new', by: string) {
      const q = await repo.findQuarantine(db, orgId, id);
      if (!q) throw notFound(`Quarantined message ${id}`);
      if (q.state !== 'held') throw new AppError(409, 'quarantine.resolved', `Quarantined message ${id} was already ${q.state}.`);
      const raw = await repo.findQuarantinedRaw(db, id);
      if (!raw) throw new AppError(409, 'quarantine.raw.missing', `The raw message of ${id} is gone; it can only be dropped.`);
      const p = await prepare(Buffer.from(raw), q.envelope_from);
      const held = JSON.parse(q.decision) as Decision;
      const authentication = { policy: held.authentication?.policy ?? 'require', allowed: true, rule: 'released', reason: `released from quarantine by ${by} (${into}); held because: ${q.reason}` };
      const decision: Decision =
        into === 'conversation'
          ? { ...held, authentication }
          : { ...held, conversationId: null, previousConversationId: q.conversation_id, signal: 'none', outcome: 'new', matchedMessageId: null, authentication };
      const recipients = JSON.parse(q.recipients) as string[];
      const d: Delivery = { raw: Buffer.from(raw), envelopeFrom: q.envelope_from, remoteAddress: q.remote_address, helo: q.helo, recipients, to: recipients.find((r) => /^reply\+/i.test(r)) ?? recipients[0]! };
      const auth = { header: q.auth_results, summary: JSON.parse(q.auth_summary) as AuthSummary };
      const stored = await batcher.run(async (trx) => {
        const now = clock.now();
        if (!(await repo.resolveQuarantine(trx, id, { state: 'released', resolved_at: now, resolved_by: by, resolution: into, result_message_id: null }))) {
          throw new AppError(409, 'quarantine.resolved', `Quarantined message ${id} was resolved meanwhile.`);
        }
        const s = await store(trx, orgId, p, d, decision, auth);
        await trx.updateTable('quarantine').set({ result_message_id: s.messageId }).where('id', '=', id).execute();
        return s;
      });
      deps.metrics?.inboundTotal.inc({ kind: stored.kind, outcome: stored.outcome });
      return { ...(await this.getQuarantine(orgId, id)), conversationId: stored.conversationId, resultMessageId: stored.messageId, workItem: stored.workItem };
    },

    /** Drops a held reply: the entry stays (who, when), the message itself is deleted. */
    async drop(orgId: string, id: string, by: string) {
      const q = await repo.findQuarantine(db, orgId, id);
      if (!q) throw notFound(`Quarantined message ${id}`);
      await batcher.run(async (trx) => {
        if (!(await repo.resolveQuarantine(trx, id, { state: 'dropped', resolved_at: clock.now(), resolved_by: by, resolution: 'dropped', result_message_id: null }))) {
          throw new AppError(409, 'quarantine.resolved', `Quarantined message ${id} was already ${q.state}.`);
        }
      });
      return this.getQuarantine(orgId, id);
    },

    async raw(messageId: string) {
      return (await repo.findRaw(db, messageId))?.raw ?? null;
    },
    details: (messageId: string) => repo.findDetails(db, messageId),
  };
}
