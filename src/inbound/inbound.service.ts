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
  messageId: string;
  conversationId: string;
  duplicate: boolean;
  kind: string;
  outcome: Decision['outcome'] | 'duplicate';
  workItem: boolean;
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

export function createInboundService(deps: {
  db: Db;
  batcher: TxBatcher;
  clock: Clock;
  conversations: ConversationsService;
  domains: DomainsService;
  threading: ThreadingService;
  work: WorkQueue;
  metrics?: Metrics;
}) {
  const { db, batcher, clock, conversations, domains, threading } = deps;

  return {
    /** The organization a recipient belongs to, or null when we do not receive mail for it. */
    recipientOrg: (address: string) => domains.inboundDomainOrg(db, splitAddress(address).domain),

    /**
     * Parses once, then threads and stores the message for each organization it is addressed
     * to, in one transaction per organization. Resolves only once everything is committed:
     * the SMTP layer answers 250 after this.
     */
    async receive(mail: ReceivedMail): Promise<Stored[]> {
      const parsed = await simpleParser(mail.raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
      const kind = classifyInbound(parsed, mail.envelopeFrom);
      const html = typeof parsed.html === 'string' ? parsed.html : null;
      const reply = extractReplyText({ text: parsed.text ?? null, html });
      const hash = contentHash(parsed);
      const messageIdHeader = parsed.messageId ? parsed.messageId.replace(/^<|>$/g, '') : `${hash.slice(0, 32)}@missing-message-id.invalid`;
      const from = parsed.from?.value[0];
      const customerEmail = (from?.address ?? mail.envelopeFrom ?? '').toLowerCase() || 'unknown@invalid';
      const references = parseIdList(parsed.references ?? null);
      const threadIndex = headerText(parsed, 'thread-index') || null;
      const threadTopic = headerText(parsed, 'thread-topic') || null;

      const byOrg = new Map<string, string[]>();
      for (const r of mail.recipients) {
        const org = await domains.inboundDomainOrg(db, splitAddress(r).domain);
        if (org) byOrg.set(org, [...(byOrg.get(org) ?? []), r]);
      }
      const results: Stored[] = [];
      for (const [orgId, recipients] of byOrg) {
        // The reply-token address, when there is one, is the recipient that says the most.
        const to = recipients.find((r) => /^reply\+/i.test(r)) ?? recipients[0]!;
        results.push(
          await batcher.run(async (trx): Promise<Stored> => {
            const dup = await repo.findDuplicate(trx, orgId, messageIdHeader, hash, to.toLowerCase());
            if (dup) return { orgId, messageId: dup.id, conversationId: dup.conversation_id, duplicate: true, kind: kind.kind, outcome: 'duplicate', workItem: false };

            const decision = await threading.decide(trx, orgId, { recipients, inReplyTo: parsed.inReplyTo ?? null, references, threadIndex }, parsed.subject ?? null);
            let conversationId = decision.conversationId;
            // A threaded reply goes to its conversation's queue; a new conversation, or one
            // started by a send (no queue yet), to the route of the address written to.
            const known = conversationId ? (await conversations.conversationRow(trx, orgId, conversationId))?.queue_id : null;
            const { local, domain } = splitAddress(to);
            const queue = known ? { queueId: known, priority: 0 } : await domains.routeFor(trx, orgId, domain, local);
            if (!conversationId) {
              conversationId = await conversations.startInbound(trx, orgId, {
                customerEmail,
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
              from_email: customerEmail,
              from_name: from?.name || null,
              to_email: to.toLowerCase(),
              to_name: null,
              reply_to_email: parsed.replyTo?.value[0]?.address ?? null,
              reply_to_name: parsed.replyTo?.value[0]?.name || null,
              subject: parsed.subject ?? null,
              text_body: parsed.text ?? null,
              html_body: html,
              message_id_header: messageIdHeader,
            });
            await repo.insertDetails(trx, {
              message_id: id,
              org_id: orgId,
              envelope_from: mail.envelopeFrom,
              envelope_to: to.toLowerCase(),
              remote_address: mail.remoteAddress,
              helo: mail.helo,
              kind: kind.kind,
              kind_reason: kind.reason,
              reply_text: reply.text,
              content_hash: hash,
              size_bytes: mail.raw.length,
            });
            await repo.insertRaw(trx, id, mail.raw);
            await threading.recordHeaders(trx, {
              message_id: id,
              org_id: orgId,
              in_reply_to: parsed.inReplyTo ? (parseIdList(parsed.inReplyTo)[0] ?? null) : null,
              references_list: references.length ? references.join(' ') : null,
              thread_index: threadIndex,
              thread_index_root: threadIndexRoot(threadIndex),
              thread_topic: threadTopic,
              created_at: now,
            });
            await threading.record(trx, orgId, id, conversationId, decision);
            // Only a person's reply is work for an agent; auto-replies, bounces and complaints
            // stay on the conversation and are never answered automatically.
            const workItem = kind.kind === 'reply' && queue !== null;
            if (workItem) await deps.work.enqueue(trx, { orgId, queueId: queue!.queueId, conversationId, messageId: id, priority: queue!.priority });
            return { orgId, messageId: id, conversationId, duplicate: false, kind: kind.kind, outcome: decision.outcome, workItem };
          }),
        );
      }
      for (const r of results) {
        if (r.duplicate) deps.metrics?.inboundDuplicatesTotal.inc();
        else deps.metrics?.inboundTotal.inc({ kind: r.kind, outcome: r.outcome });
      }
      return results;
    },

    async raw(messageId: string) {
      return (await repo.findRaw(db, messageId))?.raw ?? null;
    },
    details: (messageId: string) => repo.findDetails(db, messageId),
  };
}
