import type { EventLogTable } from '../db/schema.js';

/**
 * The contract's event types ("Events and webhooks"), and threadline's own: `workitem.requeued`,
 * a work item back in a queue without being completed (declined, transferred, or its lease ran
 * out), without which a reader would think it still assigned; `suppression.added` and
 * `suppression.removed`, changes to the suppression list, which decide who is mailed;
 * `webhook.failed`, an event given up for a webhook after its last try (still replayable), and
 * `webhook.disabled`, a webhook whose receiver answered 410 Gone.
 */
export const EVENT_TYPES = [
  'message.queued',
  'message.sent',
  'message.deferred',
  'message.failed',
  'message.bounced',
  'message.complained',
  'message.suppressed',
  'inbound.received',
  'inbound.quarantined',
  'workitem.created',
  'workitem.assigned',
  'workitem.requeued',
  'workitem.completed',
  'domain.verification.changed',
  'suppression.added',
  'suppression.removed',
  'webhook.failed',
  'webhook.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);
export const isEventType = (t: string): t is EventType => KNOWN.has(t);

/** What an event says: at least the ids it concerns, named as the API names them. */
export interface EventData {
  messageId?: string;
  conversationId?: string;
  workItemId?: string;
  domain?: string;
  [more: string]: unknown;
}

/** A place in the log: after the event at (tx, seq). */
export interface Cursor {
  tx: number;
  seq: number;
}

export const START: Cursor = { tx: 0, seq: 0 };

/** Opaque to callers; base64url keeps it safe in a query string. */
export const encodeCursor = (c: Cursor) => Buffer.from(`${c.tx}.${c.seq}`).toString('base64url');

/** The cursor, or null when `text` is not one this service made. */
export function decodeCursor(text: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return null;
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (!m) return null;
  const c = { tx: Number(m[1]), seq: Number(m[2]) };
  return Number.isSafeInteger(c.tx) && Number.isSafeInteger(c.seq) ? c : null;
}

export type EventRow = Pick<EventLogTable, 'id' | 'type' | 'at' | 'data'> & { tx: number; seq: number };

export const eventView = (r: EventRow) => ({
  id: r.id,
  type: r.type as EventType,
  timestamp: new Date(Number(r.at)).toISOString(),
  data: JSON.parse(r.data) as EventData,
});

export type EventView = ReturnType<typeof eventView>;
