import fs from 'node:fs';
import type { Logger } from '../log.js';
import type { Unavailable } from './unavailable.js';

/**
 * Free space that ends a "disk full": enough for SQLite's write-ahead log to grow and be
 * checkpointed again. Less, and writes that fit into the space failed ones left behind succeed
 * while the next larger one fails, so the condition would come and go with every request.
 */
export const ROOM_AGAIN_BYTES = 8 * 1024 * 1024;

/**
 * Whether the database can take writes, as the writes found out. A full disk shows only when
 * something is written (a read, or /readyz's query, still succeeds), so the failing writes set
 * it; it ends once the database's filesystem has room again. HTTP and SMTP answer from the
 * error each request meets; /readyz reports this. One line is logged when the condition starts
 * and one when it ends, not one per failed write.
 */
export class DatabaseHealth {
  private cause: Unavailable | null = null;
  private since = 0;
  private failures = 0;
  private dir: string | null = null;

  constructor(private readonly log: Logger) {}

  /** The folder of the SQLite file, whose free space ends a "disk full". */
  watchDisk(dir: string): void {
    this.dir = dir;
  }

  /** The condition writes meet now, or null. */
  get condition(): Unavailable | null {
    if (this.cause === 'disk full' && this.roomAgain()) this.end();
    return this.cause;
  }

  /** A write failed for `cause`. */
  writeFailed(cause: Unavailable, err: unknown): void {
    this.failures++;
    if (this.cause === cause) return;
    this.cause = cause;
    this.since = Date.now();
    this.failures = 1;
    const { message, code } = (err ?? {}) as { message?: unknown; code?: unknown };
    this.log.error({ err: { message, code }, dir: this.dir }, `${cause}: writes fail; requests are answered 503 (HTTP) and 451 (SMTP) until there is room again`);
  }

  /** A write committed. */
  writeSucceeded(): void {
    if (this.cause !== null && (this.cause !== 'disk full' || this.roomAgain())) this.end();
  }

  private end(): void {
    this.log.info({ seconds: Math.round((Date.now() - this.since) / 1000), failedWrites: this.failures }, `${this.cause} ended: writes succeed again`);
    this.cause = null;
  }

  private roomAgain(): boolean {
    if (this.dir === null) return true;
    try {
      const s = fs.statfsSync(this.dir);
      return s.bavail * s.bsize >= ROOM_AGAIN_BYTES;
    } catch {
      return false;
    }
  }
}
