// The tables of inbound mail: inbound domains and routes, received messages' details and raw
// bytes, threading headers, decisions and settings, and the quarantine. Re-exported by schema.ts.

export interface QuarantineTable {
  id: string;
  org_id: string;
  conversation_id: string;
  signal: string;
  reason: string;
  from_email: string;
  subject: string | null;
  message_id_header: string;
  envelope_from: string;
  /** JSON array of the recipients this organization was sent. */
  recipients: string;
  remote_address: string;
  helo: string | null;
  auth_results: string;
  auth_summary: string;
  /** JSON Decision of the threading that matched the conversation. */
  decision: string;
  /** The message as received; null once released or dropped. */
  raw: Buffer | null;
  state: 'held' | 'released' | 'dropped';
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
  result_message_id: string | null;
}

export interface InboundDomainsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: number;
}

/** An inbound domain added through the API, waiting for its DNS TXT token (domains.service.ts). */
export interface InboundDomainClaimsTable {
  id: string;
  org_id: string;
  name: string;
  token: string;
  status: 'PENDING' | 'FAILED' | 'UNKNOWN';
  check_detail: string | null;
  checked_at: number | null;
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

export interface MessageThreadingTable {
  message_id: string;
  org_id: string;
  in_reply_to: string | null;
  /** Space-separated Message-IDs without angle brackets, oldest first (as in the header). */
  references_list: string | null;
  thread_index: string | null;
  thread_index_root: string | null;
  thread_topic: string | null;
  created_at: number;
}

export interface InboundDetailsTable {
  message_id: string;
  org_id: string;
  envelope_from: string;
  envelope_to: string;
  remote_address: string;
  helo: string | null;
  kind: string;
  kind_reason: string;
  reply_text: string | null;
  content_hash: string;
  size_bytes: number;
  /** The Authentication-Results header mailauth wrote for this message. */
  auth_results?: string | null;
  /** JSON AuthSummary (src/inbound/authenticate.ts). */
  auth_summary?: string | null;
  /** JSON [{stage, reason}]: the stages not run on this message (src/inbound/limits.ts). */
  skipped?: string | null;
}

export interface RawMessagesTable {
  message_id: string;
  /** The message's bytes, or the first piece of them (src/inbound/raw-chunks.ts). */
  raw: Buffer;
}

/** The rest of a message's bytes, in order: a raw_messages or quarantine row's id. */
export interface RawMessageChunksTable {
  owner_id: string;
  seq: number;
  chunk: Buffer;
}

export interface ThreadingDecisionsTable {
  message_id: string;
  org_id: string;
  conversation_id: string;
  signal: string;
  outcome: string;
  /** JSON: the candidates considered and why each was taken or rejected. */
  detail: string;
  created_at: number;
}

export interface ThreadingSettingsTable {
  org_id: string;
  window_days: number;
  subject_threading: number;
  updated_at: number;
  /** require | relaxed | monitor; null: the configured default. */
  inbound_auth?: string | null;
}
