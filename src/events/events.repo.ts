import { sql } from 'kysely';
import { compiled } from '../db/compiled.js';
import type { EventLogTable, Executor } from '../db/schema.js';
import type { Cursor } from './events.views.js';

/** What the application writes; `seq` and `tx` are the database's (column defaults). */
export type NewEventRow = Omit<EventLogTable, 'seq' | 'tx'>;

// One event per change is the usual case on the hot paths (a send, a reply): compiled once.
const insertOnce = compiled((ex: Executor, v: NewEventRow) =>
  ex.insertInto('event_log').values({ id: v.id, org_id: v.org_id, type: v.type, at: v.at, conversation_id: v.conversation_id, data: v.data }),
);

/** One statement whatever the number of rows. */
export async function insertEvents(ex: Executor, rows: NewEventRow[]): Promise<void> {
  if (rows.length === 1) await insertOnce(ex, rows[0]!);
  else if (rows.length > 1) await ex.insertInto('event_log').values(rows).execute();
}

/**
 * An organization's events after `after`, in (tx, seq) order.
 *
 * PostgreSQL: only rows of transactions below the reader's snapshot xmin. Every transaction
 * below it has ended, so no row can still commit there; a row of a transaction still running
 * (or of one that began after the reader's snapshot) would otherwise let a later commit land
 * behind a cursor a reader has already passed. A long transaction anywhere in the cluster
 * holds the horizon back: events then arrive late, never out of order and never lost.
 *
 * SQLite: every row has tx 0, and SQLite seeks an index by the first column of a row-value
 * comparison only (it would read the organization's whole log from its start): seq alone.
 */
export const listEvents = (ex: Executor, o: { orgId: string; after: Cursor; types: string[] | null; limit: number; postgres: boolean }) =>
  ex
    .selectFrom('event_log')
    .select(['tx', 'seq', 'id', 'type', 'at', 'data'])
    .where('org_id', '=', o.orgId)
    .$if(o.postgres, (q) =>
      q.where((eb) => eb(eb.refTuple('tx', 'seq'), '>', eb.tuple(o.after.tx, o.after.seq))).where('tx', '<', sql<number>`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`),
    )
    .$if(!o.postgres, (q) => q.where('tx', '=', 0).where('seq', '>', o.after.seq))
    .$if(o.types !== null, (q) => q.where('type', 'in', o.types!))
    .orderBy('tx')
    .orderBy('seq')
    .limit(o.limit)
    .execute();

/** The newest event of the organization a reader may see now (the same visibility as listEvents), or none. */
export const lastVisible = (ex: Executor, o: { orgId: string; postgres: boolean }) =>
  ex
    .selectFrom('event_log')
    .select(['tx', 'seq'])
    .where('org_id', '=', o.orgId)
    .$if(o.postgres, (q) => q.where('tx', '<', sql<number>`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`))
    .$if(!o.postgres, (q) => q.where('tx', '=', 0))
    .orderBy('tx', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
