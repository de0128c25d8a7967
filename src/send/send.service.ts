import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import type { Party } from './draft.js';
import type { OutboundService } from './outbound.js';
import type { AgentlessEmailSendRequest, AgentlessEmailSendResponse } from './send.schema.js';
import { draftOfSend } from './send.validate.js';

export type SendService = ReturnType<typeof createSendService>;

export interface SendResult {
  status: number;
  body: AgentlessEmailSendResponse;
  replayed: boolean;
}

const dto = (p: Party) => (p.name ? { email: p.email, name: p.name } : { email: p.email });

export function createSendService(deps: { outbound: OutboundService; idempotency: IdempotencyService }) {
  return {
    /**
     * Accepts one agentless email. Everything (idempotency record, rate count, conversation,
     * message, outbox row) is written in one transaction that commits before we answer.
     */
    async send(orgId: string, request: AgentlessEmailSendRequest, idem: { key: string; hash: string } | null): Promise<SendResult> {
      const draft = draftOfSend(request);
      return deps.outbound.send(orgId, async (trx, submit): Promise<SendResult> => {
        if (idem) {
          const replay = await deps.idempotency.begin(trx, orgId, idem.key, idem.hash);
          if (replay) return { status: replay.status, body: replay.body as AgentlessEmailSendResponse, replayed: true };
        }
        const q = await submit(draft);
        const body: AgentlessEmailSendResponse = {
          id: q.id,
          conversationId: q.conversationId,
          senderType: 'Outbound',
          fromAddress: dto(q.from),
          toAddresses: [dto(q.to)],
          ...(q.replyTo ? { replyToAddress: dto(q.replyTo) } : {}),
          ...(q.subject !== null ? { subject: q.subject } : {}),
          dateCreated: new Date(q.createdAt).toISOString(),
          selfUri: `/api/v2/conversations/emails/${q.conversationId}/messages/${q.id}`,
        };
        if (idem) await deps.idempotency.finish(trx, orgId, idem.key, 202, body);
        return { status: 202, body, replayed: false };
      });
    },
  };
}
