import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import type { OpenedDb } from '../src/db/open.js';

// The store the thread lookup is measured against, filled inside the database (one INSERT …
// SELECT per batch; no rows cross into JavaScript, which made the fill slower than the lookups
// by far). Conversations of four messages: our notification, the customer's reply, the agent's
// answer, the customer's second reply. Message i is sent at start + i × step, so the messages are
// spread over the window and come in time order, as they would; ids are UUIDv7-shaped and
// time-ordered like threadline's, Message-IDs like threadline's own (<32 hex>.<16 hex>@sender
// domain) and Gmail's (CA…@mail.gmail.com).

export interface FillPlan {
  orgId: string;
  queueId: string;
  /** Epoch ms of message 0, and ms between messages. */
  start: number;
  stepMs: number;
  senderDomain: string;
  inboundDomain: string;
}

export interface Store {
  /** Adds messages [from, to) and their conversations. */
  fill(from: number, to: number): Promise<void>;
  /** Message-ID headers of `count` stored messages picked at random (repeats possible). */
  sample(count: number): Promise<string[]>;
  close(): Promise<void>;
}

const BATCH = 100_000;

// Shared by both dialects: the columns, each as an SQL expression over i (message number), c
// (its conversation), r (its role 0..3), at and cat (its and its conversation's time), and a
// uuid(x, n, variant) and hex(bytes) the dialect supplies.
function messageSelect(d: { uuid(t: string, n: string, v: string): string; hex(bytes: number): string; concat(...parts: string[]): string }) {
  const out = '(r = 0 or r = 2)';
  return `${d.uuid('at', 'i', '9')}, :org, ${d.uuid('cat', 'c', '8')},
    case when ${out} then 'outbound' else 'inbound' end,
    case r when 0 then 'Outbound' when 2 then 'Agent' else 'Customer' end, 0,
    case when ${out} then :from else ${d.concat("'customer'", 'c', "'@example.com'")} end,
    case when ${out} then 'Example Shop' else 'Pat Customer' end,
    case when ${out} then ${d.concat("'customer'", 'c', "'@example.com'")} else ${d.concat("'reply+x'", 'c', "'@'", ':inbound')} end,
    null, null, null,
    ${d.concat("case when r = 0 then '' else 'Re: ' end", "'Your order '", '(100000 + c)', "' has shipped'")},
    case when ${out} then 'Hello Pat, your parcel is on its way and should arrive within two days. Track it online. Example Shop'
      else 'Thanks! Could the courier leave it with a neighbour?  > Your parcel is on its way.' end,
    null,
    case when ${out} then ${d.concat(`replace(${d.uuid('at', 'i', '9')}, '-', '')`, "'.'", d.hex(8), "'@'", ':from_domain')}
      else ${d.concat("'CA'", d.hex(18), "'@mail.gmail.com'")} end,
    case when ${out} then 'sent' else 'received' end, at,
    case when ${out} then '250 2.0.0 Ok' else null end, case when ${out} then 1 else 0 end, at`;
}

const MESSAGE_COLUMNS =
  'id, org_id, conversation_id, direction, sender_type, stitched, from_email, from_name, to_email, to_name, reply_to_email, reply_to_name, subject, text_body, html_body, message_id_header, status, status_at, last_response, attempts, created_at';
const CONVERSATION_COLUMNS = 'id, org_id, subject, customer_email, created_at, updated_at, queue_id, previous_conversation_id';

export function sqliteStore(file: string, opened: OpenedDb, plan: FillPlan): Store {
  // A second connection for the fill only, without fsync; the lookups use threadline's own.
  const raw = new SQLite(file);
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -1000000');
  const d = {
    uuid: (t: string, n: string, v: string) => `printf('%08x-%04x-7%03x-${v}%03x-%012x', ${t} >> 16, ${t} & 65535, ${n} & 4095, (${n} >> 12) & 4095, ${n})`,
    hex: (bytes: number) => `lower(hex(randomblob(${bytes})))`,
    concat: (...parts: string[]) => parts.join(' || '),
  };
  const params = { org: plan.orgId, start: plan.start, step: plan.stepMs, from: `notifications@${plan.senderDomain}`, from_domain: plan.senderDomain, inbound: plan.inboundDomain };
  // better-sqlite3 binds a JavaScript number as a REAL: cast, or i / 4 is not a conversation number.
  const range = (v: string, lo: string, hi: string) => `with recursive n(${v}) as (select cast(${lo} as integer) union all select ${v} + 1 from n where ${v} + 1 < ${hi})`;
  const conversations = raw.prepare(
    `${range('c', ':c0', ':c1')}, t as (select c, cast(:start + c * 4 * :step as integer) as at from n)
     insert into conversations (${CONVERSATION_COLUMNS})
     select ${d.uuid('at', 'c', '8')}, :org, 'Your order ' || (100000 + c) || ' has shipped', 'customer' || c || '@example.com', at, at, :queue, null from t`,
  );
  const messages = raw.prepare(
    `${range('i', ':i0', ':i1')}, t as (select i, i / 4 as c, i % 4 as r, cast(:start + i * :step as integer) as at, cast(:start + (i / 4) * 4 * :step as integer) as cat from n)
     insert into messages (${MESSAGE_COLUMNS}) select ${messageSelect(d)} from t`,
  );
  const run = raw.transaction((i0: number, i1: number) => {
    const c0 = Math.ceil(i0 / 4);
    const c1 = Math.ceil(i1 / 4);
    if (c1 > c0) conversations.run({ org: params.org, start: params.start, step: params.step, queue: plan.queueId, c0, c1 });
    messages.run({ ...params, i0, i1 });
  });
  // An index built once after the rows are in costs a fraction of one grown row by row; the
  // statements threadline's migrations wrote recreate them exactly.
  const indexes = raw.prepare("select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in ('messages', 'conversations')").all() as Array<{
    name: string;
    sql: string;
  }>;
  const byRowid = raw.prepare('select message_id_header from messages where rowid = ?').pluck();
  return {
    async fill(from, to) {
      for (const i of indexes) raw.exec(`drop index ${i.name}`);
      try {
        for (let i = from; i < to; i += BATCH) run(i, Math.min(to, i + BATCH));
      } finally {
        for (const i of indexes) raw.exec(i.sql);
        raw.pragma('wal_checkpoint(TRUNCATE)');
      }
    },
    async sample(count) {
      const max = raw.prepare('select max(rowid) from messages').pluck().get() as number;
      return Array.from({ length: count }, () => byRowid.get(1 + Math.floor(Math.random() * max)) as string);
    },
    async close() {
      raw.close();
      await opened.close();
    },
  };
}

export function postgresStore(opened: OpenedDb, plan: FillPlan, dropDatabase: () => Promise<void>): Store {
  const { db } = opened;
  const d = {
    uuid: (t: string, n: string, v: string) =>
      `lpad(to_hex(${t} >> 16), 8, '0') || '-' || lpad(to_hex(${t} & 65535), 4, '0') || '-7' || lpad(to_hex(${n} & 4095), 3, '0') || '-${v}' || lpad(to_hex((${n} >> 12) & 4095), 3, '0') || '-' || lpad(to_hex(${n}), 12, '0')`,
    hex: (bytes: number) => `substr(md5(random()::text) || md5(random()::text), 1, ${2 * bytes})`,
    concat: (...parts: string[]) => parts.map((p) => `(${p})::text`).join(' || '),
  };
  // Named parameters as in the SQLite statements, numbered (and typed) for pg in order of first use.
  const numbered = (text: string) => {
    const used: string[] = [];
    const type = (n: string) => (n === 'start' || n === 'step' ? 'float8' : n === 'lo' || n === 'hi' ? 'bigint' : 'text');
    const out = text.replace(/(?<!:):([a-z_]+)/g, (_, n: string) => {
      if (!used.includes(n)) used.push(n);
      return `$${used.indexOf(n) + 1}::${type(n)}`;
    });
    return (v: Record<string, unknown>) =>
      CompiledQuery.raw(
        out,
        used.map((n) => v[n]),
      );
  };
  const conversations = numbered(
    `insert into conversations (${CONVERSATION_COLUMNS})
     select ${d.uuid('at', 'c', '8')}, :org, 'Your order ' || (100000 + c) || ' has shipped', 'customer' || c || '@example.com', at, at, :queue, null
     from (select c, (:start + c * 4 * :step)::bigint as at from generate_series(:lo, :hi - 1) as c) t`,
  );
  const messages = numbered(
    `insert into messages (${MESSAGE_COLUMNS}) select ${messageSelect(d)}
     from (select i, i / 4 as c, i % 4 as r, (:start + i * :step)::bigint as at, (:start + (i / 4) * 4 * :step)::bigint as cat from generate_series(:lo, :hi - 1) as i) t`,
  );
  const values = {
    org: plan.orgId,
    start: plan.start,
    step: plan.stepMs,
    from: `notifications@${plan.senderDomain}`,
    from_domain: plan.senderDomain,
    inbound: plan.inboundDomain,
    queue: plan.queueId,
  };
  return {
    async fill(from, to) {
      // As for SQLite: indexes (not the primary keys) built once after the rows are in.
      const indexes = (
        await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes
          where tablename in ('messages', 'conversations') and indexname not like '%_pkey'`.execute(db)
      ).rows;
      for (const i of indexes) await sql.raw(`drop index ${i.name}`).execute(db);
      try {
        for (let i = from; i < to; i += BATCH) {
          const i1 = Math.min(to, i + BATCH);
          await db.transaction().execute(async (trx) => {
            const c0 = Math.ceil(i / 4);
            const c1 = Math.ceil(i1 / 4);
            if (c1 > c0) await trx.executeQuery(conversations({ ...values, lo: c0, hi: c1 }));
            await trx.executeQuery(messages({ ...values, lo: i, hi: i1 }));
          });
        }
      } finally {
        for (const i of indexes) await sql.raw(i.def).execute(db);
      }
      await sql`analyze messages`.execute(db);
    },
    async sample(count) {
      const rows = await db.selectFrom('messages').select('message_id_header').orderBy(sql`random()`).limit(count).execute();
      return Array.from({ length: count }, (_, i) => rows[i % rows.length]!.message_id_header);
    },
    async close() {
      await opened.close();
      await dropDatabase();
    },
  };
}

/** A fresh PostgreSQL database next to the one in `url`, dropped again by the returned function. */
export async function scratchPostgres(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `threadline_lookup_${randomBytes(4).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
