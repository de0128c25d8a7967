import type { Kysely, Transaction } from 'kysely';
import type { ConsoleSessionsTable } from './schema.console.js';
import type {
  InboundDetailsTable,
  InboundDomainClaimsTable,
  InboundDomainsTable,
  InboundRoutesTable,
  MessageThreadingTable,
  QuarantineTable,
  RawMessageChunksTable,
  RawMessagesTable,
  ThreadingDecisionsTable,
  ThreadingSettingsTable,
} from './schema.inbound.js';
import type {
  EventLogTable,
  JobsTable,
  MessageBouncesTable,
  SoftBouncesTable,
  SuppressionsTable,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookReplaysTable,
  WebhookSubscriptionsTable,
} from './schema.lifecycle.js';
import type { OutboundConfigurationsTable, OutboundMessagesTable, OutboundScheduleRunsTable, OutboundSchedulesTable, OutboundTemplatesTable } from './schema.outbound.js';

export type * from './schema.console.js';
export type * from './schema.inbound.js';
export type * from './schema.lifecycle.js';
export type * from './schema.outbound.js';

// Times are epoch milliseconds in BIGINT columns: portable between SQLite and PostgreSQL
// and cheap to compare. pg returns BIGINT as string, so open.ts parses it back to number.

export interface OrganizationsTable {
  id: string;
  name: string;
  rate_limit_per_minute: number;
  created_at: number;
  /** What a send to a suppressed address does: `refuse` (400) or `record` (kept as suppressed, never sent). */
  suppressed_sends: string;
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
  /** PENDING | VERIFIED | FAILED (Genesys's VerificationResult status of the whole domain). */
  status: string;
  created_at: number;
  /** JSON DomainCheck (src/domains/dns-check.ts) of the latest check; null before the first. */
  check_results?: string | null;
  checked_at?: number | null;
  verified_at?: number | null;
  next_check_at?: number;
}

export interface DkimKeysTable {
  id: string;
  domain_id: string;
  org_id: string;
  selector: string;
  algorithm: string;
  bits: number;
  public_key: string;
  private_key_sealed: string;
  state: 'pending' | 'active' | 'retiring' | 'retired';
  dns_status: string;
  created_at: number;
  activated_at: number | null;
  retiring_at: number | null;
  retired_at: number | null;
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
  queue_id: string | null;
  previous_conversation_id: string | null;
  /** 1: started by an "onResponse" outbound configuration and not listed until the customer replies. */
  awaiting_reply?: number;
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
  /** The relay or MX a deferral could not reach (RelayWatch probes it), else null. */
  waiting_for: string | null;
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

export interface UsersTable {
  id: string;
  org_id: string;
  name: string;
  /** Lower-cased; the username of the password grant. */
  email: string;
  password_hash: string;
  /** JSON array of permission strings. */
  permissions: string;
  /** Raised by each password change: access tokens issued under an older one stop working. */
  credentials_version: number;
  created_at: number;
  deleted_at: number | null;
}

export interface QueueMembersTable {
  queue_id: string;
  user_id: string;
  org_id: string;
  joined_at: number;
}

export interface WorkItemsTable {
  id: string;
  org_id: string;
  queue_id: string;
  conversation_id: string;
  message_id: string;
  priority: number;
  /** 'waiting' | 'leased' | 'completed' */
  state: string;
  enqueued_at: number;
  /** Last-agent offer: only this user may pull the item until offer_until. */
  offered_to: string | null;
  offer_until: number | null;
  declined_by: string | null;
  declined_until: number | null;
  agent_id: string | null;
  lease_token: string | null;
  leased_at: number | null;
  lease_until: number | null;
  lease_expiries: number;
  completed_at: number | null;
  completed_by: string | null;
  wrapup_code: string | null;
  wrapup_notes: string | null;
  created_at: number;
  updated_at: number;
}

export interface WorkItemEventsTable {
  id: string;
  work_item_id: string;
  org_id: string;
  queue_id: string;
  type: string;
  agent_id: string | null;
  detail: string | null;
  at: number;
}

/** An organization's wrap-up code (Genesys's WrapupCode); a name unique in the organization. */
export interface WrapupCodesTable {
  id: string;
  org_id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

/** The codes a queue offers; with none, completing an item there needs no code. */
export interface QueueWrapupCodesTable {
  queue_id: string;
  code_id: string;
  org_id: string;
  added_at: number;
}

export interface Database {
  organizations: OrganizationsTable;
  oauth_clients: OauthClientsTable;
  sender_domains: SenderDomainsTable;
  inbound_domains: InboundDomainsTable;
  inbound_domain_claims: InboundDomainClaimsTable;
  inbound_routes: InboundRoutesTable;
  queues: QueuesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  message_events: MessageEventsTable;
  outbox: OutboxTable;
  jobs: JobsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_counters: RateCountersTable;
  users: UsersTable;
  queue_members: QueueMembersTable;
  work_items: WorkItemsTable;
  work_item_events: WorkItemEventsTable;
  message_threading: MessageThreadingTable;
  inbound_details: InboundDetailsTable;
  raw_messages: RawMessagesTable;
  raw_message_chunks: RawMessageChunksTable;
  threading_decisions: ThreadingDecisionsTable;
  threading_settings: ThreadingSettingsTable;
  dkim_keys: DkimKeysTable;
  quarantine: QuarantineTable;
  suppressions: SuppressionsTable;
  soft_bounces: SoftBouncesTable;
  message_bounces: MessageBouncesTable;
  event_log: EventLogTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_replays: WebhookReplaysTable;
  webhook_deliveries: WebhookDeliveriesTable;
  outbound_templates: OutboundTemplatesTable;
  outbound_configurations: OutboundConfigurationsTable;
  outbound_messages: OutboundMessagesTable;
  outbound_schedules: OutboundSchedulesTable;
  outbound_schedule_runs: OutboundScheduleRunsTable;
  console_sessions: ConsoleSessionsTable;
  wrapup_codes: WrapupCodesTable;
  queue_wrapup_codes: QueueWrapupCodesTable;
}

export type Db = Kysely<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;
