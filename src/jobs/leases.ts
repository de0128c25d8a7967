import type { Kysely } from 'kysely';
import { compiled } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';

/**
 * A table of leased work: rows due at a time, each with `attempts`, `claimed_by` and
 * `claimed_until`. The outbox (delivery) and `jobs` (everything else in the background) are
 * two such tables and share these statements.
 */
export interface LeasedShape {
  table: 'outbox' | 'jobs';
  /** The key column. */
  id: string;
  /** The column holding when a row is next due. */
  due: string;
  /** Columns a claim returns besides the key and `attempts`. */
  select?: readonly string[];
  /** A column a claim is limited to one value of (jobs: `kind`, so each kind keeps its own concurrency). */
  partition?: string;
  /** Columns a reschedule sets besides the due time and `attempts`. */
  carry?: readonly string[];
  /** A reschedule applies only while the row is still claimed with the given token. */
  guarded?: boolean;
}

export interface ClaimOptions {
  /** Unique per claim (`worker:n`), so the rows read back are exactly the ones this claim took. */
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** PostgreSQL: FOR UPDATE SKIP LOCKED, so several instances claim disjoint rows. */
  skipLocked: boolean;
  /** The value of the shape's `partition` column. */
  part?: string;
}

// Kysely's types cannot follow a table chosen at run time: the statements are built on an
// untyped view of the executor, their column names taken from the shape.
type AnyTables = Record<string, Record<string, unknown>>;
const loose = (ex: Executor) => ex as unknown as Kysely<AnyTables>;

/** The claim, renew, reschedule and release statements of one leased table. */
export function leasedTable<Row extends { attempts: number }>(s: LeasedShape) {
  const columns = [s.id, 'attempts', ...(s.select ?? [])];
  const dueRows = (ex: Executor, v: { now: number; limit: number; part: string }) => {
    let q = loose(ex)
      .selectFrom(s.table)
      .select(columns)
      .where(s.due, '<=', v.now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', v.now)]));
    if (s.partition) q = q.where(s.partition, '=', v.part);
    return q.orderBy(s.due).limit(v.limit);
  };
  const due = compiled(dueRows);
  const dueLocked = compiled((ex: Executor, v: { now: number; limit: number; part: string }) => dueRows(ex, v).forUpdate().skipLocked());
  const reschedule = compiled((ex: Executor, v: Record<string, unknown>) => {
    const carried = Object.fromEntries((s.carry ?? []).map((c) => [c, v[c]]));
    const q = loose(ex)
      .updateTable(s.table)
      .set({ [s.due]: v.at, attempts: v.attempts, claimed_by: null, claimed_until: null, ...carried })
      .where(s.id, '=', v.id);
    return s.guarded ? q.where('claimed_by', '=', v.heldBy) : q;
  });

  return {
    /**
     * Claims up to `limit` due rows: select them, then mark them with the claim's token. On
     * SQLite (one writer) the pair is atomic inside the transaction; on PostgreSQL the SELECT
     * takes FOR UPDATE SKIP LOCKED. (One UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
     * LOCKED) is not safe there: the planner may re-run the subquery per row and claim more than n.)
     */
    async claim(ex: Executor, o: ClaimOptions): Promise<Row[]> {
      const v = { now: o.now, limit: o.limit, part: o.part ?? '' };
      const rows = (await (o.skipLocked ? dueLocked : due)(ex, v)).rows as Row[];
      if (rows.length === 0) return [];
      await loose(ex)
        .updateTable(s.table)
        .set({ claimed_by: o.owner, claimed_until: o.now + o.leaseMs })
        .where(
          s.id,
          'in',
          rows.map((r) => (r as Record<string, unknown>)[s.id]),
        )
        .execute();
      return rows;
    },

    /** Extends one worker's claims (its tokens are `worker:n`) on the given rows until `until`. */
    renew: (ex: Executor, worker: string, ids: readonly string[], until: number) =>
      loose(ex).updateTable(s.table).set({ claimed_until: until }).where(s.id, 'in', ids).where('claimed_by', 'like', `${worker}:%`).execute(),

    /**
     * Releases a row's claim and makes it due at `at` after `attempts`; `carry` sets the shape's
     * other columns; `heldBy` is the claim's token when the shape is guarded. True if it applied.
     */
    async reschedule(ex: Executor, id: string, at: number, attempts: number, carry: Record<string, unknown> = {}, heldBy?: string): Promise<boolean> {
      const r = await reschedule(ex, { ...carry, id, at, attempts, heldBy });
      return Number(r.numAffectedRows ?? 0) > 0;
    },

    /** After a restart on SQLite nobody else can hold a claim: give every row back. */
    releaseAll: (ex: Executor) => loose(ex).updateTable(s.table).set({ claimed_by: null, claimed_until: null }).where('claimed_by', 'is not', null).execute(),
  };
}
