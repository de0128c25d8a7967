import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { badRequest, notFound } from '../errors.js';
import { LIMITS } from '../mail/address.js';
import { parseIdList } from '../threading/signals.js';
import { replySubject, stripReplyPrefixes } from '../threading/subject.js';
import { childThreadIndex, newThreadIndex } from '../threading/thread-index.js';
import type { ThreadingService } from '../threading/threading.service.js';
import type { OutboundService } from './outbound.js';

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
 * child block with Thread-Topic, and a Reply-To token so the next answer threads again. It
 * goes out through the outbound pipeline like every other message (checks, send limit,
 * suppression, outbox).
 */
export function createAgentReplyService(deps: { clock: Clock; conversations: ConversationsService; threading: ThreadingService; outbound: OutboundService }) {
  const { clock, conversations } = deps;
  return {
    async reply(orgId: string, conversationId: string, input: AgentReplyInput) {
      return deps.outbound.send(orgId, async (trx, submit) => {
        const conv = await conversations.conversationRow(trx, orgId, conversationId);
        if (!conv) throw notFound(`Conversation ${conversationId}`);
        const customerMsg = await conversations.latestMessage(trx, conversationId, 'inbound');
        const ourLast = await conversations.latestMessage(trx, conversationId, 'outbound');
        const from = input.from ?? (ourLast ? { email: ourLast.from_email, name: ourLast.from_name } : null);
        if (!from) throw badRequest('from.email', 'This conversation has no earlier message from us; give a from address on one of your sender domains.');

        const parent = customerMsg ?? ourLast;
        const parentHeaders = parent ? await deps.threading.findHeaders(trx, parent.id) : undefined;
        const refs = [...parseIdList(parentHeaders?.references_list ?? null), ...(parent ? [parent.message_id_header] : [])].slice(-MAX_REFERENCES);
        const now = clock.now();
        const threadIndex = parentHeaders?.thread_index ? childThreadIndex(parentHeaders.thread_index, now) : newThreadIndex(now);
        const q = await submit({
          senderType: 'Agent',
          conversation: { existing: conversationId },
          from,
          to: { email: conv.customer_email, name: customerName(conv.customer_email, customerMsg, ourLast) },
          replyTo: null,
          // A customer's subject can be longer than a send may be: the derived one is cut to fit.
          subject: input.subject ?? [...replySubject(parent?.subject ?? conv.subject)].slice(0, LIMITS.subject).join(''),
          text: input.textBody ?? null,
          html: input.htmlBody ?? null,
          thread: {
            inReplyTo: parent?.message_id_header ?? null,
            references: refs,
            threadIndex,
            topic: parentHeaders?.thread_topic ?? (stripReplyPrefixes(parent?.subject ?? conv.subject) || null),
          },
          fields: { from: 'from', to: 'to' },
        });
        // Read in the transaction: afterwards the delivery worker may be changing it, and a row
        // read before its history would disagree with it.
        return conversations.getMessage(orgId, conversationId, q.id, trx);
      });
    },
  };
}
