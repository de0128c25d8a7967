import type { AuthService } from '../auth/auth.service.js';
import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';

/** An organization's per-minute send limit; every path that sends mail for it takes from it. */
export type SendLimit = (orgId: string) => Promise<number>;

/**
 * The limit as the organization has it set. Read it before the send's transaction: the lookup
 * runs on its own connection, which on SQLite would wait for that very transaction.
 */
export function createSendLimit(deps: { auth: Pick<AuthService, 'getOrganization'>; clock: Clock }): SendLimit {
  // The per-organization limit changes rarely; a few seconds of staleness is harmless.
  const limits = new TtlCache<string, number>({ max: 10_000, ttlMs: 5_000, clock: deps.clock });
  return (orgId) => limits.getOrLoad(orgId, async () => (await deps.auth.getOrganization(orgId)).agentlessEmailRateLimitPerMinute);
}
