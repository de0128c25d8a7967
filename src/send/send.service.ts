import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { DeliveryQueue } from '../delivery/outbox.js';
import type { DomainsService } from '../domains/domains.service.js';
import type { SenderDomainsService } from '../domains/sender-domains.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { newId } from '../ids.js';
import { messageIdHeader, replyAddress, type TokenKeys } from '../mail/tokens.js';
import type { RateLimitService } from '../ratelimit/ratelimit.service.js';
import type { SendLimit } from './send-limit.js';
import type { AgentlessEmailSendRequest, AgentlessEmailSendResponse } from './send.schema.js';
import { validateSend } from './send.validate.js';

export type SendService = ReturnType<typeof createSendService>;

export interface SendResult {
  status: number;
  body: AgentlessEmailSendResponse;
  replayed: boolean;
}

export function createSendService(deps: {
  batcher: TxBatcher;
  clock: Clock;
  keys: TokenKeys;
  sendLimit: SendLimit;
  conversations: ConversationsService;
  domains: DomainsService & Pick<SenderDomainsService, 'assertCanSendFrom'>;
  rateLimit: RateLimitService;
  idempotency: IdempotencyService;
  delivery: DeliveryQueue;
}) {
  const { clock, keys } = deps;
  return {
    /**
     * Accepts one agentless email. Everything (idempotency record, rate count, conversation,
     * message, outbox row) is written in one transaction that commits before we answer.
     */
    async send(orgId: string, dto: AgentlessEmailSendRequest, idem: { key: string; hash: string } | null): Promise<SendResult> {
      const v = validateSend(dto);
      const limit = await deps.sendLimit(orgId);
      const result = await deps.batcher.run(async (trx): Promise<SendResult> => {
        if (idem) {
          const replay = await deps.idempotency.begin(trx, orgId, idem.key, idem.hash);
          if (replay) return { status: replay.status, body: replay.body as AgentlessEmailSendResponse, replayed: true };
        }
        await deps.domains.assertCanSendFrom(trx, orgId, v.fromDomain);
        await deps.rateLimit.take(trx, orgId, limit);
        const conversation = await deps.conversations.startOrContinue(trx, orgId, v.conversationId, v.to.email, v.subject);
        const id = newId(clock.now());
        let replyTo = v.replyTo;
        if (!replyTo) {
          const inbound = await deps.domains.replyDomainFor(trx, orgId);
          if (inbound) replyTo = { email: replyAddress(keys, id, inbound), name: null };
        }
        const createdAt = await deps.conversations.recordOutbound(trx, {
          id,
          org_id: orgId,
          conversation_id: conversation.id,
          direction: 'outbound',
          sender_type: 'Outbound',
          stitched: conversation.stitched ? 1 : 0,
          from_email: v.from.email,
          from_name: v.from.name,
          to_email: v.to.email,
          to_name: v.to.name,
          reply_to_email: replyTo?.email ?? null,
          reply_to_name: replyTo?.name ?? null,
          subject: v.subject,
          text_body: v.text,
          html_body: v.html,
          message_id_header: messageIdHeader(keys, id, v.fromDomain),
        });
        await deps.delivery.enqueue(trx, id, orgId);
        const body: AgentlessEmailSendResponse = {
          id,
          conversationId: conversation.id,
          senderType: 'Outbound',
          fromAddress: v.from.name ? { email: v.from.email, name: v.from.name } : { email: v.from.email },
          toAddresses: [v.to.name ? { email: v.to.email, name: v.to.name } : { email: v.to.email }],
          ...(replyTo ? { replyToAddress: replyTo.name ? { email: replyTo.email, name: replyTo.name } : { email: replyTo.email } } : {}),
          ...(v.subject !== null ? { subject: v.subject } : {}),
          dateCreated: new Date(createdAt).toISOString(),
          selfUri: `/api/v2/conversations/emails/${conversation.id}/messages/${id}`,
        };
        if (idem) await deps.idempotency.finish(trx, orgId, idem.key, 202, body);
        return { status: 202, body, replayed: false };
      });
      if (!result.replayed) deps.delivery.wake();
      return result;
    },
  };
}
