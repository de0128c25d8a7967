import { sql, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Database, Executor } from './schema.js';

const MARK = '\u0000tl-value:';

type Slot = { name: string } | { value: unknown };

/**
 * A statement built by Kysely once per database and then run with new values. Building costs
 * about twice the execution of a small statement on SQLite (27 µs against 9 µs for one insert
 * here), and the hot paths run the same few statements thousands of times a second.
 *
 * `build` receives stand-ins for the values and must use them only where Kysely makes a
 * parameter (inserted or updated values, right-hand sides of comparisons, limits), never as
 * identifiers, list lengths or raw SQL; compiling checks that every stand-in became a parameter.
 * Read fields of `v`; do not spread it.
 */
export function compiled<V extends object, R = unknown>(build: (ex: Executor, v: V) => Compilable<R>) {
  // Kysely's adapter is one object per database, shared by its transactions: the dialect's key.
  const byAdapter = new WeakMap<object, { query: CompiledQuery<R>; slots: Slot[] }>();

  function compile(ex: Executor) {
    const used = new Set<string>();
    const stand = new Proxy({} as V, {
      get: (_, key) => {
        used.add(String(key));
        return `${MARK}${String(key)}`;
      },
    });
    const query = build(ex, stand).compile();
    const slots: Slot[] = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? { name: p.slice(MARK.length) } : { value: p }));
    const bound = new Set(slots.flatMap((s) => ('name' in s ? [s.name] : [])));
    const lost = [...used].filter((name) => !bound.has(name));
    if (query.sql.includes(MARK) || lost.length > 0) {
      throw new Error(`compiled(): ${lost.join(', ') || 'a value'} did not become a parameter in: ${query.sql.replaceAll(MARK, ':')}`);
    }
    return { query, slots };
  }

  return (ex: Executor, values: V): Promise<QueryResult<R>> => {
    const adapter = ex.getExecutor().adapter;
    let c = byAdapter.get(adapter);
    if (!c) {
      try {
        byAdapter.set(adapter, (c = compile(ex)));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return ex.executeQuery<R>({ ...c.query, parameters: c.slots.map((s) => ('name' in s ? values[s.name as keyof V] : s.value)) });
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
    else if (rows.length > 1) await ex.insertInto(table).values(rows as never).execute();
  };
}

/**
 * `limit 1` written into the SQL text. Kysely's `.limit(1)` binds the 1 as a parameter, and
 * SQLite then spends about 20 µs more on every run of the statement (a lookup by an index:
 * 34 µs with `limit ?`, 11 µs with `limit 1`). The same holds for a bound value compared with
 * the column of a partial index's WHERE (see acd.repo.ts): write such constants as literals.
 */
export const LIMIT_ONE = sql.lit(1);
