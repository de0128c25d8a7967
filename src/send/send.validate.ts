import { badRequest } from '../errors.js';
import { UUID_RE } from '../ids.js';
import type { Draft } from './outbound.js';
import type { AgentlessEmailSendRequest } from './send.schema.js';

/**
 * What only Genesys's agentless request can get wrong (its shape: one recipient, no copies,
 * no attachments, a conversation id); the message's own fields are checked by the outbound
 * pipeline (draft.ts), as for every other message. Pure.
 */
export function draftOfSend(dto: AgentlessEmailSendRequest): Draft {
  if (dto.senderType !== 'Outbound') throw badRequest('senderType', `senderType must be "Outbound" (got ${JSON.stringify(dto.senderType)}).`);
  if (dto.attachments !== undefined) throw badRequest('attachments', 'Agentless emails cannot carry attachments; link to the file from the body instead.', 'attachments.not.supported');
  for (const field of ['ccAddresses', 'bccAddresses'] as const) {
    if (dto[field] !== undefined) throw badRequest(field, `${field} is not supported: an agentless email goes to exactly one recipient, in toAddresses.`, 'recipients.not.supported');
  }
  if (dto.toAddresses.length !== 1) {
    throw badRequest('toAddresses', `toAddresses must hold exactly one recipient (got ${dto.toAddresses.length}).`);
  }
  if (dto.conversationId !== undefined && !UUID_RE.test(dto.conversationId)) {
    throw badRequest('conversationId', 'conversationId must be a conversation id (a UUID).');
  }
  return {
    senderType: 'Outbound',
    conversation: { send: dto.conversationId?.toLowerCase() },
    from: dto.fromAddress,
    to: dto.toAddresses[0]!,
    replyTo: dto.replyToAddress ?? null,
    subject: dto.subject ?? null,
    text: dto.textBody ?? null,
    html: dto.htmlBody ?? null,
    fields: { from: 'fromAddress', to: 'toAddresses[0]', replyTo: 'replyToAddress' },
  };
}
