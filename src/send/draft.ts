import { badRequest } from '../errors.js';
import { addressProblem, displayNameProblem, LIMITS } from '../mail/address.js';

// The checks every message threadline sends passes, whichever route or schedule made it. Each
// refusal names the field as the caller's request spells it.

export interface Party {
  email: string;
  name: string | null;
}

const CRLF = /[\r\n]/;

/** A checked address: trimmed, its domain lower-cased, the local part as given (RFC 5321 §2.4). */
export function checkParty(field: string, a: { email: string; name?: string | null | undefined }): Party {
  const email = a.email.trim();
  const problem = addressProblem(email);
  if (problem) throw badRequest(`${field}.email`, `${field}.email ${problem}.`);
  if (a.name !== undefined && a.name !== null) {
    const np = displayNameProblem(a.name);
    if (np) throw badRequest(`${field}.name`, `${field}.name ${np}.`);
  }
  const at = email.lastIndexOf('@');
  return { email: `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`, name: a.name?.trim() || null };
}

/** Subject on one line within Genesys's length; a text or HTML body within the size limit. */
export function checkContent(subject: string | null, text: string | null, html: string | null): void {
  if (subject !== null) {
    if (CRLF.test(subject)) throw badRequest('subject', 'subject must not contain CR or LF characters.');
    const len = [...subject].length;
    if (len > LIMITS.subject) throw badRequest('subject', `subject is ${len} characters; at most ${LIMITS.subject} are allowed.`);
  }
  if (!text && !html) throw badRequest('textBody', 'A textBody or an htmlBody is required.');
  const textBytes = Buffer.byteLength(text ?? '');
  const htmlBytes = Buffer.byteLength(html ?? '');
  if (textBytes + htmlBytes > LIMITS.bodyBytes) {
    throw badRequest(
      textBytes >= htmlBytes ? 'textBody' : 'htmlBody',
      `The body is ${textBytes + htmlBytes} bytes; textBody and htmlBody together may hold at most ${LIMITS.bodyBytes} bytes (3 MB).`,
    );
  }
}
