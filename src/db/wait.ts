import { sql } from 'kysely';
import type { Logger } from '../log.js';
import type { Db } from './schema.js';
import { databaseUnavailable } from './unavailable.js';

/**
 * Waits until the database answers, for at most `seconds`: a service started beside its
 * database (compose, systemd, a failover) comes up once the database does, instead of exiting.
 * Errors that are not about reaching the database (a wrong password, a missing database) are
 * thrown at once: waiting would not mend them.
 */
export async function waitForDatabase(db: Db, log: Logger, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let delay = 250;
  let lastLogged = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(db);
      if (attempt > 1) log.info({ attempts: attempt }, 'database reachable');
      return;
    } catch (err) {
      const cause = databaseUnavailable(err);
      if (!cause || Date.now() + delay > deadline) throw err;
      // Once, then every 10 s: the reason an operator needs, without a line per try.
      if (Date.now() - lastLogged >= 10_000) {
        log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, waitSeconds: seconds }, `${cause}: waiting for the database`);
        lastLogged = Date.now();
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
