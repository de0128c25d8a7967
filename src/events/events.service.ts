import type { Clock } from '../clock.js';
import type { Dialect } from '../db/open.js';
import type { Db, Executor } from '../db/schema.js';
import { newId } from '../ids.js';
import * as repo from './events.repo.js';
import { type Cursor, type EventData, type EventType, encodeCursor, eventView, START } from './events.views.js';

export interface NewEvent {
  orgId: string;
  type: EventType;
  data: EventData;
}

export type EventsService = ReturnType<typeof createEventsService>;

/**
 * The event log. Producers call `record` (or `recordMany`) with the executor of the
 * transaction that makes the change: the event commits or rolls back with it.
 */
export function createEventsService({ db, clock, dialect }: { db: Db; clock: Clock; dialect: Dialect }) {
  const row = (e: NewEvent, at: number): repo.NewEventRow => ({
    id: newId(at),
    org_id: e.orgId,
    type: e.type,
    at,
    // Kept apart for the per-conversation order webhooks deliver in.
    conversation_id: typeof e.data.conversationId === 'string' ? e.data.conversationId : null,
    data: JSON.stringify(e.data),
  });

  async function recordMany(ex: Executor, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const at = clock.now();
    await repo.insertEvents(
      ex,
      events.map((e) => row(e, at)),
    );
  }

  return {
    recordMany,
    record: (ex: Executor, orgId: string, type: EventType, data: EventData) => recordMany(ex, [{ orgId, type, data }]),

    /** Where a reader that wants only what happens from now on starts. */
    async latest(orgId: string): Promise<Cursor> {
      const last = await repo.lastVisible(db, { orgId, postgres: dialect === 'postgres' });
      return last ? { tx: Number(last.tx), seq: Number(last.seq) } : START;
    },

    /** A page of the organization's events after `after`; `nextCursor` continues from its end (or stays at `after`). */
    async list(orgId: string, o: { after: Cursor | null; types: EventType[] | null; limit: number }) {
      const after = o.after ?? START;
      const rows = await repo.listEvents(db, { orgId, after, types: o.types, limit: o.limit, postgres: dialect === 'postgres' });
      const last = rows.at(-1);
      return { entities: rows.map(eventView), nextCursor: encodeCursor(last ? { tx: Number(last.tx), seq: Number(last.seq) } : after) };
    },
  };
}
