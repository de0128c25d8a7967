import type { MessageBouncesTable } from '../db/schema.js';
import { LIMITS } from '../mail/address.js';
import type { ConversationRow, MessageEventRow, MessageRow } from './conversations.repo.js';

// Genesys's EmailConversation and EmailMessage shapes, with threadline's delivery facts added
// under names Genesys does not use.

const iso = (ms: number) => new Date(Number(ms)).toISOString();
const address = (email: string, name: string | null) => (name ? { email, name } : { email });

/** `customerMessages`: the messages the customer sent (received by us), not ours to them. */
export function conversationView(row: ConversationRow, customerMessages: number) {
  return {
    id: row.id,
    name: row.subject ?? '',
    participants: [
      {
        address: row.customer_email,
        purpose: 'customer',
        subject: row.subject ?? undefined,
        messagesSent: customerMessages,
      },
    ],
    dateCreated: iso(row.created_at),
    dateModified: iso(row.updated_at),
    selfUri: `/api/v2/conversations/emails/${row.id}`,
  };
}

export type MessageView = ReturnType<typeof messageView>;

export interface InboundFacts {
  kind: string;
  kind_reason: string;
  reply_text: string | null;
  auth_results?: string | null;
  auth_summary?: string | null;
  skipped?: string | null;
}

export function messageView(row: MessageRow, events: MessageEventRow[] | null, inbound?: InboundFacts, bounce?: MessageBouncesTable) {
  const size = Buffer.byteLength(row.text_body ?? '') + Buffer.byteLength(row.html_body ?? '');
  return {
    id: row.id,
    from: address(row.from_email, row.from_name),
    to: [address(row.to_email, row.to_name)],
    cc: [],
    bcc: [],
    ...(row.reply_to_email ? { replyTo: address(row.reply_to_email, row.reply_to_name) } : {}),
    subject: row.subject ?? '',
    attachments: [],
    textBody: row.text_body ?? '',
    ...(row.html_body !== null ? { htmlBody: row.html_body } : {}),
    time: iso(row.created_at),
    historyIncluded: false,
    emailSizeBytes: size,
    maxEmailSizeBytes: LIMITS.bodyBytes,
    senderType: row.sender_type,
    direction: row.direction,
    messageId: `<${row.message_id_header}>`,
    ...(inbound
      ? {
          inbound: {
            kind: inbound.kind,
            kindReason: inbound.kind_reason,
            replyText: inbound.reply_text ?? '',
            ...(inbound.auth_results ? { authenticationResults: inbound.auth_results } : {}),
            ...(inbound.auth_summary ? { authentication: JSON.parse(inbound.auth_summary) as unknown } : {}),
            // Stages not run on this message's body, and why (a hostile or unparseable message).
            ...(inbound.skipped ? { skipped: JSON.parse(inbound.skipped) as unknown } : {}),
          },
        }
      : {}),
    deliveryStatus: {
      status: row.status,
      time: iso(row.status_at),
      attempts: row.attempts,
      ...(row.last_response ? { smtpResponse: row.last_response } : {}),
    },
    // What a bounce or complaint said: the contract's {type, status, action, diagnostic}, and where it was learnt.
    ...(bounce
      ? {
          bounce: {
            ...(bounce.type ? { type: bounce.type } : {}),
            ...(bounce.status ? { status: bounce.status } : {}),
            action: bounce.action,
            ...(bounce.diagnostic ? { diagnostic: bounce.diagnostic } : {}),
            ...(bounce.remote_mta ? { remoteMta: bounce.remote_mta } : {}),
            ...(bounce.reason ? { reason: bounce.reason } : {}),
            source: bounce.source,
            time: iso(bounce.at),
          },
        }
      : {}),
    ...(events
      ? {
          statusHistory: events.map((e) => ({
            status: e.status,
            time: iso(e.at),
            ...(e.smtp_response ? { smtpResponse: e.smtp_response } : {}),
            ...(e.detail ? { detail: e.detail } : {}),
          })),
        }
      : {}),
    selfUri: `/api/v2/conversations/emails/${row.conversation_id}/messages/${row.id}`,
  };
}

/** Genesys's paged listing: the page, its size and number, the total, and the links to pages. */
export function pageOf<T>(entities: T[], o: { total: number; pageSize: number; pageNumber: number; base: string; query?: URLSearchParams }) {
  const pageCount = Math.max(1, Math.ceil(o.total / o.pageSize));
  const uri = (n: number) => {
    const q = new URLSearchParams(o.query);
    q.set('pageNumber', String(n));
    q.set('pageSize', String(o.pageSize));
    return `${o.base}?${q.toString()}`;
  };
  return { entities, pageSize: o.pageSize, pageNumber: o.pageNumber, total: o.total, pageCount, selfUri: uri(o.pageNumber), firstUri: uri(1), lastUri: uri(pageCount) };
}
