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
    /** The stored response to replay, or null when this key is new (or expired). */
    async lookup(ex: Executor, orgId: string, key: string, hash: string): Promise<Replay | null> {
      const row = await repo.find(ex, orgId, key);
      if (!row || Number(row.created_at) < clock.now() - IDEMPOTENCY_TTL_MS) return null;
      if (row.request_hash !== hash) {
        throw new AppError(409, 'idempotency.key.reused', 'This Idempotency-Key was already used with a different request body; use a new key for a new request.', [
          { errorCode: 'idempotency.key.reused', fieldName: 'Idempotency-Key' },
        ]);
      }
      return { status: row.status_code, body: JSON.parse(row.response_body) };
    },

    save: (ex: Executor, orgId: string, key: string, hash: string, status: number, body: unknown) =>
      repo.upsert(ex, { org_id: orgId, key, request_hash: hash, status_code: status, response_body: JSON.stringify(body), created_at: clock.now() }),

    prune: (ex: Executor) => repo.deleteBefore(ex, clock.now() - IDEMPOTENCY_TTL_MS),
  };
}
