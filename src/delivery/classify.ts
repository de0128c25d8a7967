// Haraka's small vocabulary: a delivery attempt ends `sent`, `deferred` (try again later) or
// `failed` (the receiver said no for good). Only a 5xx reply is permanent; timeouts, refused
// connections, DNS trouble and 4xx replies are all worth another try.

export type Outcome =
  | { kind: 'sent'; response: string }
  | { kind: 'failed'; response: string }
  /** `unreachable`: the relay or MX could not be reached, or said it is unavailable (421). */
  | { kind: 'deferred'; response: string; unreachable?: boolean };

export class DeliveryError extends Error {
  constructor(
    public readonly permanent: boolean,
    public readonly response: string,
  ) {
    super(response);
    this.name = 'DeliveryError';
  }
}

interface SmtpLikeError {
  responseCode?: number;
  /** nodemailer's step that failed: CONN while connecting and greeting. */
  command?: string;
  response?: string;
  code?: string;
  message?: string;
}

export function classifyError(err: unknown): Outcome {
  if (err instanceof DeliveryError) return { kind: err.permanent ? 'failed' : 'deferred', response: err.response };
  const e = (err ?? {}) as SmtpLikeError;
  const response = (e.response ?? `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}`).trim().slice(0, 1000);
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) return { kind: 'failed', response };
  return { kind: 'deferred', response, ...(unreachable(e) ? { unreachable: true } : {}) };
}

// The server was not there (refused, timed out, reset while connecting) or turned us away as a
// whole (421): nothing about this message, so the target is probed and used again once it answers.
const CONNECTING = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT']);
const unreachable = (e: SmtpLikeError) => e.responseCode === 421 || (e.command === 'CONN' && e.code !== undefined && CONNECTING.has(e.code));

/** Seconds until the next attempt after `attempts` failed ones, or null when they are used up. */
export function nextRetryDelay(schedule: readonly number[], attempts: number): number | null {
  return attempts >= 1 && attempts <= schedule.length ? schedule[attempts - 1]! : null;
}
