import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import { AppError, badRequest } from '../errors.js';
import * as repo from './idempotency.repo.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
export type Replay = { status: number; body: unknown };

export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex');
}

export function checkKey(key: string): string {
  if (!KEY_RE.test(key)) throw badRequest('Idempotency-Key', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.');
  return key;
}

export function createIdempotencyService({ clock }: { clock: Clock }) {
  return {
    /**
     * Takes the key for this request (inside the request's transaction, so a refused or failed
     * request releases it), or returns the stored response to replay. A key in use with another
     * body is a 409.
     */
    async begin(ex: Executor, orgId: string, key: string, hash: string): Promise<Replay | null> {
      const now = clock.now();
      const pending = { org_id: orgId, key, request_hash: hash, status_code: 0, response_body: '', created_at: now };
      if (await repo.claim(ex, pending)) return null;
      const row = await repo.find(ex, orgId, key);
      if (!row) return (await repo.claim(ex, pending)) ? null : this.begin(ex, orgId, key, hash);
      if (Number(row.created_at) < now - IDEMPOTENCY_TTL_MS && (await repo.reclaimExpired(ex, pending, now - IDEMPOTENCY_TTL_MS))) return null;
      if (row.request_hash !== hash) {
        throw new AppError(409, 'idempotency.key.reused', 'This Idempotency-Key was already used with a different request body; use a new key for a new request.', [
          { errorCode: 'idempotency.key.reused', fieldName: 'Idempotency-Key' },
        ]);
      }
      if (row.status_code === 0) {
        throw new AppError(409, 'idempotency.key.in.progress', 'A request with this Idempotency-Key is still being processed; retry shortly.', [
          { errorCode: 'idempotency.key.in.progress', fieldName: 'Idempotency-Key' },
        ]);
      }
      return { status: row.status_code, body: JSON.parse(row.response_body) };
    },

    /** Stores the response the key will replay. */
    finish: (ex: Executor, orgId: string, key: string, status: number, body: unknown) => repo.complete(ex, orgId, key, status, JSON.stringify(body)),

    prune: (ex: Executor) => repo.deleteBefore(ex, clock.now() - IDEMPOTENCY_TTL_MS),
  };
}
