import type { Kysely, Transaction } from 'kysely';

// Times are epoch milliseconds in BIGINT columns: portable between SQLite and PostgreSQL
// and cheap to compare. pg returns BIGINT as string, so open.ts parses it back to number.

export interface OrganizationsTable {
  id: string;
  name: string;
  rate_limit_per_minute: number;
  created_at: number;
}

export interface OauthClientsTable {
  id: string;
  org_id: string;
  name: string;
  secret_hash: string;
  /** JSON array of permission strings. */
  permissions: string;
  created_at: number;
  disabled_at: number | null;
}

export interface SenderDomainsTable {
  id: string;
  org_id: string;
  name: string;
  status: string;
  created_at: number;
}

export interface InboundDomainsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: number;
}

export interface InboundRoutesTable {
  id: string;
  org_id: string;
  domain_name: string;
  pattern: string;
  queue_id: string;
  priority: number;
  created_at: number;
}

export interface QueuesTable {
  id: string;
  org_id: string;
  name: string;
  created_at: number;
}

export interface ConversationsTable {
  id: string;
  org_id: string;
  subject: string | null;
  customer_email: string;
  created_at: number;
  updated_at: number;
}

export interface MessagesTable {
  id: string;
  org_id: string;
  conversation_id: string;
  /** 'outbound' | 'inbound' */
  direction: string;
  /** 'Outbound' for agentless sends, 'Agent' for agent replies, 'Customer' for inbound. */
  sender_type: string;
  stitched: number;
  from_email: string;
  from_name: string | null;
  to_email: string;
  to_name: string | null;
  reply_to_email: string | null;
  reply_to_name: string | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  /** RFC 5322 Message-ID, without angle brackets. */
  message_id_header: string;
  status: string;
  status_at: number;
  last_response: string | null;
  attempts: number;
  created_at: number;
}

export interface MessageEventsTable {
  id: string;
  message_id: string;
  status: string;
  at: number;
  smtp_response: string | null;
  detail: string | null;
}

export interface OutboxTable {
  message_id: string;
  org_id: string;
  next_attempt_at: number;
  attempts: number;
  claimed_by: string | null;
  claimed_until: number | null;
}

export interface IdempotencyKeysTable {
  org_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: number;
}

export interface RateCountersTable {
  org_id: string;
  window_start: number;
  count: number;
}

export interface Database {
  organizations: OrganizationsTable;
  oauth_clients: OauthClientsTable;
  sender_domains: SenderDomainsTable;
  inbound_domains: InboundDomainsTable;
  inbound_routes: InboundRoutesTable;
  queues: QueuesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  message_events: MessageEventsTable;
  outbox: OutboxTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_counters: RateCountersTable;
}

export type Db = Kysely<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;
