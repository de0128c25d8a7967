import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { DeliveryQueue } from '../delivery/outbox.js';
import type { DomainsService } from '../domains/domains.service.js';
import type { SenderDomainsService } from '../domains/sender-domains.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { addressProblem, displayNameProblem, domainOf, LIMITS } from '../mail/address.js';
import { messageIdHeader, replyAddress, type TokenKeys } from '../mail/tokens.js';
import type { RateLimitService } from '../ratelimit/ratelimit.service.js';
import { parseIdList } from '../threading/signals.js';
import { replySubject, stripReplyPrefixes } from '../threading/subject.js';
import { childThreadIndex, newThreadIndex, threadIndexRoot } from '../threading/thread-index.js';
import type { ThreadingService } from '../threading/threading.service.js';
import type { SendLimit } from './send-limit.js';

export interface AgentReplyInput {
  textBody?: string;
  htmlBody?: string;
  subject?: string;
  from?: { email: string; name?: string };
}

// RFC 5322 §3.6.4 lets References grow without bound; clients cope with a few dozen.
const MAX_REFERENCES = 30;

type Party = { from_email: string; from_name: string | null; to_email: string; to_name: string | null } | undefined;

/**
 * The customer's name as their own latest message gave it, else as we last addressed them.
 * Only the address decides where an answer goes: the conversation's customer, established by
 * our send or by the message that started the conversation. A later message's Reply-To is
 * never used: SPF and DKIM vouch for the From domain, not for it, and a colleague or a forger
 * the rules let in could otherwise redirect the agent's answer.
 */
function customerName(customer: string, theirs: Party, ours: Party): string | null {
  const c = customer.toLowerCase();
  if (theirs?.from_email.toLowerCase() === c && theirs.from_name) return theirs.from_name;
  return ours?.to_email.toLowerCase() === c ? ours.to_name : null;
}

export type AgentReplyService = ReturnType<typeof createAgentReplyService>;

/**
 * An agent's answer in a conversation, sent threaded: In-Reply-To the customer's latest
 * message, References extended with it, `Re:` once, Outlook's Thread-Index extended by one
 * child block with Thread-Topic, and a Reply-To token so the next answer threads again.
 */
export function createAgentReplyService(deps: {
  batcher: TxBatcher;
  clock: Clock;
  keys: TokenKeys;
  conversations: ConversationsService;
  domains: DomainsService & Pick<SenderDomainsService, 'assertCanSendFrom'>;
  threading: ThreadingService;
  delivery: DeliveryQueue;
  sendLimit: SendLimit;
  rateLimit: RateLimitService;
}) {
  const { clock, keys, conversations } = deps;
  return {
    async reply(orgId: string, conversationId: string, input: AgentReplyInput, agent: { userId: string | null; name: string | null }) {
      const text = input.textBody ?? null;
      const html = input.htmlBody ?? null;
      if (!text && !html) throw badRequest('textBody', 'A textBody or an htmlBody is required.');
      if (Buffer.byteLength(text ?? '') + Buffer.byteLength(html ?? '') > LIMITS.bodyBytes) throw badRequest('textBody', `The body may hold at most ${LIMITS.bodyBytes} bytes (3 MB).`);
      if (input.subject !== undefined && (/[\r\n]/.test(input.subject) || [...input.subject].length > LIMITS.subject)) {
        throw badRequest('subject', `subject must be one line of at most ${LIMITS.subject} characters.`);
      }
      if (input.from) {
        const p = addressProblem(input.from.email) ?? (input.from.name ? displayNameProblem(input.from.name) : null);
        if (p) throw badRequest('from', `from ${p}.`);
      }

      // An agent's answer is mail the organization sends: it counts against the same limit.
      const limit = await deps.sendLimit(orgId);
      const result = await deps.batcher.run(async (trx) => {
        const conv = await conversations.conversationRow(trx, orgId, conversationId);
        if (!conv) throw notFound(`Conversation ${conversationId}`);
        const customerMsg = await conversations.latestMessage(trx, conversationId, 'inbound');
        const ourLast = await conversations.latestMessage(trx, conversationId, 'outbound');
        const from = input.from ? { email: input.from.email, name: input.from.name ?? null } : ourLast ? { email: ourLast.from_email, name: ourLast.from_name } : null;
        if (!from) throw badRequest('from', 'This conversation has no earlier message from us; give a from address on one of your sender domains.');
        await deps.domains.assertCanSendFrom(trx, orgId, domainOf(from.email), 'from.email');
        await deps.rateLimit.take(trx, orgId, limit);

        const parent = customerMsg ?? ourLast;
        const parentHeaders = parent ? await deps.threading.findHeaders(trx, parent.id) : undefined;
        const refs = [...parseIdList(parentHeaders?.references_list ?? null), ...(parent ? [parent.message_id_header] : [])].slice(-MAX_REFERENCES);
        const now = clock.now();
        const threadIndex = parentHeaders?.thread_index ? childThreadIndex(parentHeaders.thread_index, now) : newThreadIndex(now);
        const subject = input.subject ?? replySubject(parent?.subject ?? conv.subject);
        const topic = parentHeaders?.thread_topic ?? (stripReplyPrefixes(parent?.subject ?? conv.subject) || null);

        const id = newId(now);
        const inbound = await deps.domains.replyDomainFor(trx, orgId);
        const fromDomain = domainOf(from.email);
        const to = { email: conv.customer_email, name: customerName(conv.customer_email, customerMsg, ourLast) };
        await conversations.recordOutbound(trx, {
          id,
          org_id: orgId,
          conversation_id: conversationId,
          direction: 'outbound',
          sender_type: 'Agent',
          stitched: 0,
          from_email: from.email,
          from_name: from.name,
          to_email: to.email,
          to_name: to.name,
          reply_to_email: inbound ? replyAddress(keys, id, inbound) : null,
          reply_to_name: null,
          subject,
          text_body: text,
          html_body: html,
          message_id_header: messageIdHeader(keys, id, fromDomain),
        });
        await deps.threading.recordHeaders(trx, {
          message_id: id,
          org_id: orgId,
          in_reply_to: parent?.message_id_header ?? null,
          references_list: refs.length ? refs.join(' ') : null,
          thread_index: threadIndex,
          thread_index_root: threadIndexRoot(threadIndex),
          thread_topic: topic,
          created_at: now,
        });
        await deps.delivery.enqueue(trx, id, orgId);
        // Read in the transaction: afterwards the delivery worker may be changing it, and a row
        // read before its history would disagree with it.
        return conversations.getMessage(orgId, conversationId, id, trx);
      });
      deps.delivery.wake();
      return result;
    },
  };
}
