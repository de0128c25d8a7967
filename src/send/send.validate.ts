import { badRequest } from '../errors.js';
import { addressProblem, displayNameProblem, domainOf, LIMITS } from '../mail/address.js';
import { UUID_RE } from '../ids.js';
import type { AgentlessEmailSendRequest } from './send.schema.js';

export interface ValidSend {
  conversationId: string | undefined;
  from: { email: string; name: string | null };
  to: { email: string; name: string | null };
  replyTo: { email: string; name: string | null } | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  fromDomain: string;
}

const CRLF = /[\r\n]/;

function checkAddress(field: string, a: { email: string; name?: string | undefined }) {
  const email = a.email.trim();
  const problem = addressProblem(email);
  if (problem) throw badRequest(`${field}.email`, `${field}.email ${problem}.`);
  if (a.name !== undefined) {
    const np = displayNameProblem(a.name);
    if (np) throw badRequest(`${field}.name`, `${field}.name ${np}.`);
  }
  // Domains are case-insensitive; keep the local part as given (RFC 5321 §2.4).
  const at = email.lastIndexOf('@');
  return { email: `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`, name: a.name?.trim() || null };
}

/** Genesys's limits, each refusal naming the field. Pure. */
export function validateSend(dto: AgentlessEmailSendRequest): ValidSend {
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
  const from = checkAddress('fromAddress', dto.fromAddress);
  const to = checkAddress('toAddresses[0]', dto.toAddresses[0]!);
  const replyTo = dto.replyToAddress ? checkAddress('replyToAddress', dto.replyToAddress) : null;
  if (dto.subject !== undefined) {
    if (CRLF.test(dto.subject)) throw badRequest('subject', 'subject must not contain CR or LF characters.');
    const len = [...dto.subject].length;
    if (len > LIMITS.subject) throw badRequest('subject', `subject is ${len} characters; at most ${LIMITS.subject} are allowed.`);
  }
  const text = dto.textBody ?? null;
  const html = dto.htmlBody ?? null;
  if (!text && !html) throw badRequest('textBody', 'A textBody or an htmlBody is required.');
  const bytes = Buffer.byteLength(text ?? '') + Buffer.byteLength(html ?? '');
  if (bytes > LIMITS.bodyBytes) {
    throw badRequest(Buffer.byteLength(text ?? '') >= Buffer.byteLength(html ?? '') ? 'textBody' : 'htmlBody', `The body is ${bytes} bytes; textBody and htmlBody together may hold at most ${LIMITS.bodyBytes} bytes (3 MB).`);
  }
  return {
    conversationId: dto.conversationId?.toLowerCase(),
    from,
    to,
    replyTo,
    subject: dto.subject ?? null,
    text,
    html,
    fromDomain: domainOf(from.email),
  };
}
