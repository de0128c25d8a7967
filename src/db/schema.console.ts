// The web console's own table. Re-exported by schema.ts.

export interface ConsoleSessionsTable {
  /** SHA-256 (base64url) of the cookie's token. */
  token_hash: string;
  org_id: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** The absolute end; the idle end is last_seen_at plus the idle time. */
  expires_at: number;
}
