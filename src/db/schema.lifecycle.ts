import type { Generated } from 'kysely';

// The delivery lifecycle's tables: suppression and bounces, the event log, the job runner's
// jobs, and webhooks. Part of the Database interface in schema.ts.

export interface SuppressionsTable {
  org_id: string;
  email: string;
  reason: string;
  detail: string | null;
  message_id: string | null;
  created_at: number;
  expires_at: number | null;
}

export interface MessageBouncesTable {
  message_id: string;
  org_id: string;
  type: string | null;
  status: string | null;
  action: string;
  diagnostic: string | null;
  remote_mta: string | null;
  source: string;
  reason: string | null;
  at: number;
}

export interface SoftBouncesTable {
  org_id: string;
  email: string;
  first_at: number;
  count: number;
}

/** Leased background work (src/jobs/): one-off jobs, and one row per recurring job. */
export interface JobsTable {
  id: string;
  kind: string;
  /** Unique per kind: the one row of a recurring job or singleton. */
  key: string | null;
  org_id: string | null;
  run_at: number;
  attempts: number;
  claimed_by: string | null;
  claimed_until: number | null;
  /** JSON, the kind's own. */
  payload: string | null;
  last_error: string | null;
  created_at: number;
}

/** One state change (src/events/): its order is (tx, seq). */
export interface EventLogTable {
  /** Assigned by the database: commit order on SQLite, order within a transaction on PostgreSQL. */
  seq: Generated<number>;
  /** PostgreSQL: the writing transaction's id (a column default); SQLite: 0. */
  tx: Generated<number>;
  id: string;
  org_id: string;
  type: string;
  at: number;
  conversation_id: string | null;
  /** JSON object. */
  data: string;
}

/** A webhook subscription (src/webhooks/) and where it is in the event log. */
export interface WebhookSubscriptionsTable {
  id: string;
  org_id: string;
  url: string;
  /** JSON array, or null: every type. */
  event_types: string | null;
  description: string | null;
  enabled: number;
  disabled_reason: string | null;
  /** Sealed. */
  secret: string;
  previous_secret: string | null;
  previous_until: number | null;
  cursor_tx: number;
  cursor_seq: number;
  /** Until then nothing is sent (a Retry-After of the receiver's). */
  retry_at: number | null;
  created_at: number;
  updated_at: number;
}

/** One try of one event at one subscription. */
export interface WebhookAttemptsTable {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  try: number;
  at: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  excerpt: string | null;
  outcome: string;
}

/** An event to send again, before the subscription's next event of the log. */
export interface WebhookReplaysTable {
  subscription_id: string;
  event_id: string;
  requested_at: number;
  event_tx: number;
  event_seq: number;
}

/** An event waiting for a subscription, in its lane (src/webhooks/lanes.ts). */
export interface WebhookDeliveriesTable {
  subscription_id: string;
  event_id: string;
  lane: string;
  event_tx: number;
  event_seq: number;
  tries: number;
  /** When the lane's head is due; null behind the head. */
  next_at: number | null;
}
