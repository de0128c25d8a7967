import { type Compilable, type CompiledQuery, type QueryResult, sql } from 'kysely';
import type { Dialect } from './open.js';
import type { Database, Executor } from './schema.js';

const MARK = '\u0000tl-value:';

/** The dialect of each database and transaction seen, found once per object. */
const dialects = new WeakMap<Executor, Dialect>();
const PROBE = sql<number>`${0}`.as('probe');

/**
 * The dialect whose compiler writes `ex`'s SQL. Kysely's public API does not lead from a
 * transaction back to its database (where open.ts could have noted the dialect), so ask the
 * compiler itself: PostgreSQL numbers its parameters ($1), SQLite writes `?`. Once for each
 * database or transaction object, which then serves every statement run on it.
 */
export function dialectOf(ex: Executor): Dialect {
  let dialect = dialects.get(ex);
  if (!dialect) {
    dialect = ex.selectNoFrom(PROBE).compile().sql.includes('$1') ? 'postgres' : 'sqlite';
    dialects.set(ex, dialect);
  }
  return dialect;
}

/**
 * A statement built by Kysely once per dialect and then run with new values. Building a query
 * costs more than running a small one on SQLite, and the hot paths run the same few statements
 * for every message.
 *
 * `build` receives stand-ins for the values and must use them only where Kysely makes a
 * parameter (inserted or updated values, right-hand sides of comparisons, limits), never as
 * identifiers, list lengths or raw SQL; compiling checks that every stand-in became a parameter.
 * Read fields of `v`; do not spread it.
 */
export function compiled<V extends object, R = unknown>(build: (ex: Executor, v: V) => Compilable<R>) {
  // The SQL depends only on the dialect's compiler (threadline's databases use no plugins).
  const byDialect: Partial<Record<Dialect, { query: CompiledQuery<R>; names: Array<string | null> }>> = {};

  function compile(ex: Executor) {
    const used = new Set<string>();
    const stand = new Proxy({} as V, {
      get: (_, key) => {
        used.add(String(key));
        return `${MARK}${String(key)}`;
      },
    });
    const query = build(ex, stand).compile();
    // Each parameter: the name of the value it takes, or null for a constant the query holds.
    const names = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? p.slice(MARK.length) : null));
    const bound = new Set(names);
    const lost = [...used].filter((name) => !bound.has(name));
    if (query.sql.includes(MARK) || lost.length > 0) {
      throw new Error(`compiled(): ${lost.join(', ') || 'a value'} did not become a parameter in: ${query.sql.replaceAll(MARK, ':')}`);
    }
    return { query, names };
  }

  // Run for every statement of every message: a plain loop, and the query written out rather
  // than spread.
  function bind(c: { query: CompiledQuery<R>; names: Array<string | null> }, values: V): CompiledQuery<R> {
    const parameters: unknown[] = [];
    for (let i = 0; i < c.names.length; i++) {
      const name = c.names[i];
      parameters.push(name === null || name === undefined ? c.query.parameters[i] : values[name as keyof V]);
    }
    return { query: c.query.query, queryId: c.query.queryId, sql: c.query.sql, parameters };
  }

  return (ex: Executor, values: V): Promise<QueryResult<R>> => {
    const dialect = dialectOf(ex);
    let c = byDialect[dialect];
    if (!c) {
      try {
        c = compile(ex);
      } catch (err) {
        return Promise.reject(err);
      }
      byDialect[dialect] = c;
    }
    return ex.executeQuery<R>(bind(c, values));
  };
}

/**
 * An insert of one whole row, compiled once. `columns` names every column of the table (its
 * type makes leaving one out a compile error); each run inserts the row's values for them.
 */
export function compiledInsert<T extends keyof Database & string>(table: T, columns: Record<keyof Database[T] & string, true>) {
  const names = Object.keys(columns) as Array<keyof Database[T] & string>;
  return compiled<Database[T]>((ex, v) =>
    // Kysely cannot type an insert into a table chosen by a type parameter; `columns` is checked above.
    ex.insertInto(table).values(Object.fromEntries(names.map((n) => [n, v[n]])) as never),
  );
}

/**
 * Inserts whole rows, as many as given, in one statement: one row (the usual case on the hot
 * paths) through the statement compiled once, several through a multi-row insert built for
 * their number.
 */
export function compiledInsertRows<T extends keyof Database & string>(table: T, columns: Record<keyof Database[T] & string, true>) {
  const one = compiledInsert(table, columns);
  return async (ex: Executor, rows: Array<Database[T]>): Promise<void> => {
    if (rows.length === 1) await one(ex, rows[0]!);
    else if (rows.length > 1)
      await ex
        .insertInto(table)
        .values(rows as never)
        .execute();
  };
}

/**
 * `limit 1` written into the SQL text. Kysely's `.limit(1)` binds the 1 as a parameter, and
 * SQLite, which plans a statement without knowing its parameters, then runs an index lookup
 * several times slower than with the literal. The same holds for a bound value compared with
 * the column of a partial index's WHERE (see acd.repo.ts): write such constants as literals.
 */
export const LIMIT_ONE = sql.lit(1);
