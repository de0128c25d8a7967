import SQLite from 'better-sqlite3';
import { newId } from '../src/ids.js';
import { textOfSize } from './lib.js';

// The SQL that bench:send and bench:inbound make threadline run, per message, executed straight
// on better-sqlite3 with the pragmas threadline uses (WAL, synchronous = FULL): SQLite's own
// share of each path, without Kysely, the batcher or any of threadline's JavaScript. The
// statements are the ones the hot paths prepare (the per-statement profile behind the README's
// figures); group commits as large as those measured there.

export interface SqlFloor {
  label: string;
  /** CPU of this process per message, microseconds. */
  cpuUs: number;
  /** Wall time per message, microseconds (it includes the fsyncs). */
  wallUs: number;
}

const BODY = textOfSize(2048);

/** A connection with threadline's pragmas. */
export function open(file: string): SQLite.Database {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');
  return db;
}

function measure(label: string, count: number, run: () => void): SqlFloor {
  const cpu = process.cpuUsage();
  const t = performance.now();
  run();
  const used = process.cpuUsage(cpu);
  return { label, cpuUs: (used.user + used.system) / count, wallUs: ((performance.now() - t) * 1000) / count };
}

const messageColumns =
  'id, org_id, conversation_id, direction, sender_type, stitched, from_email, from_name, to_email, to_name, reply_to_email, reply_to_name, subject, text_body, html_body, message_id_header, status, status_at, last_response, attempts, created_at';
const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Accepting sends (batches of `batch`), then claiming and recording their deliveries (batches of 20). */
export function sendFloors(file: string, orgId: string, count: number, batch = 10): SqlFloor[] {
  const db = open(file);
  const rate = db.prepare(
    'insert into rate_counters (org_id, window_start, count) values (?, ?, 1) on conflict (org_id, window_start) do update set count = rate_counters.count + 1 returning count',
  );
  const conv = db.prepare(
    'insert into conversations (id, org_id, subject, customer_email, created_at, updated_at, queue_id, previous_conversation_id) values (?, ?, ?, ?, ?, ?, null, null)',
  );
  const msg = db.prepare(`insert into messages (${messageColumns}) values (${list(21)})`);
  const event = db.prepare('insert into message_events (id, message_id, status, at, smtp_response, detail) values (?, ?, ?, ?, ?, ?)');
  const outbox = db.prepare('insert into outbox (message_id, org_id, next_attempt_at, attempts, claimed_by, claimed_until) values (?, ?, ?, 0, null, null)');
  const ids: string[] = [];
  const accept = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      const now = Date.now();
      const c = newId(now);
      const m = newId(now);
      rate.get(orgId, Math.floor(now / 60_000) * 60_000);
      conv.run(c, orgId, 'Your order has shipped', 'customer@example.com', now, now);
      msg.run(
        m,
        orgId,
        c,
        'outbound',
        'Outbound',
        0,
        'notify@notify.example.com',
        null,
        'customer@example.com',
        null,
        `reply+${m}@replies.example.com`,
        null,
        'Your order has shipped',
        BODY,
        null,
        `<${m}@notify.example.com>`,
        'queued',
        now,
        null,
        0,
        now,
      );
      event.run(newId(now), m, 'queued', now, null, null);
      outbox.run(m, orgId, now);
      ids.push(m);
    }
  });
  const accepted = measure(`the rows of a send (group commits of ${batch})`, count, () => {
    for (let done = 0; done < count; done += batch) accept(Math.min(batch, count - done));
  });

  const due = db.prepare('select message_id, attempts from outbox where next_attempt_at <= ? and (claimed_until is null or claimed_until < ?) order by next_attempt_at limit 20');
  const claim = db.prepare(`update outbox set claimed_by = ?, claimed_until = ? where message_id in (${list(20)})`);
  const sending = db.prepare(`update messages set status = 'sending', status_at = ? where id in (${list(20)})`);
  const rows = db.prepare(`select * from messages where id in (${list(20)})`);
  const sent = db.prepare("update messages set status = 'sent', status_at = ?, last_response = ?, attempts = ? where id = ?");
  const done = db.prepare(`delete from outbox where message_id in (${list(20)})`);
  const deliver = db.transaction(() => {
    const now = Date.now();
    const claimed = (due.all(now, now) as Array<{ message_id: string }>).map((r) => r.message_id);
    if (claimed.length < 20) return 0;
    claim.run('floors', now + 60_000, ...claimed);
    sending.run(now, ...claimed);
    rows.all(...claimed);
    return claimed.length;
  });
  const record = db.transaction((claimed: string[]) => {
    const now = Date.now();
    for (const id of claimed) {
      sent.run(now, '250 2.0.0 Ok: queued as 4F2C1', 1, id);
      event.run(newId(now), id, 'sent', now, '250 2.0.0 Ok: queued as 4F2C1', null);
    }
    done.run(...claimed);
  });
  const delivered = measure('claiming and recording deliveries (batches of 20)', count, () => {
    for (let i = 0; i + 20 <= ids.length; i += 20) {
      deliver();
      record(ids.slice(i, i + 20));
    }
  });
  db.close();
  return [accepted, delivered];
}

/** Threading, storing and queueing replies to `targets` (Message-IDs of sent messages, each with an open work item). */
export function inboundFloor(file: string, orgId: string, targets: Array<{ header: string; workItemId: string; queueId: string }>, count: number, batch = 5): SqlFloor {
  const db = open(file);
  const lookup = db.prepare('select id, org_id, conversation_id, created_at from messages where message_id_header = ? and org_id = ? order by created_at desc limit 1');
  const conversation = db.prepare('select * from conversations where org_id = ? and id = ?');
  const duplicate = db.prepare(
    'select messages.id, messages.conversation_id from inbound_details inner join messages on messages.id = inbound_details.message_id where inbound_details.content_hash = ? and inbound_details.org_id = ? and inbound_details.envelope_to = ? and messages.message_id_header = ? limit 1',
  );
  const msg = db.prepare(`insert into messages (${messageColumns}) values (${list(21)})`);
  const raw = db.prepare('insert into raw_messages (message_id, raw) values (?, ?)');
  const details = db.prepare(
    'insert into inbound_details (message_id, org_id, envelope_from, envelope_to, remote_address, helo, kind, kind_reason, reply_text, content_hash, size_bytes, auth_results, auth_summary) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const event = db.prepare('insert into message_events (id, message_id, status, at, smtp_response, detail) values (?, ?, ?, ?, ?, ?)');
  const threading = db.prepare(
    'insert into message_threading (message_id, org_id, in_reply_to, references_list, thread_index, thread_index_root, thread_topic, created_at) values (?, ?, ?, ?, null, null, null, ?)',
  );
  const decision = db.prepare('insert into threading_decisions (message_id, org_id, conversation_id, signal, outcome, detail, created_at) values (?, ?, ?, ?, ?, ?, ?)');
  const openItem = db.prepare("select id, org_id, queue_id, priority, offered_to, offer_until from work_items where conversation_id = ? and state <> 'completed' limit 1");
  const itemEvent = db.prepare('insert into work_item_events (id, work_item_id, org_id, queue_id, type, agent_id, detail, at) values (?, ?, ?, ?, ?, null, null, ?)');
  const touch = db.prepare('update conversations set updated_at = ? where id = ?');
  const rawBytes = Buffer.from(BODY);
  let seq = 0;
  const store = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      const t = targets[seq++ % targets.length]!;
      const now = Date.now();
      const id = newId(now);
      const header = `<reply-${seq}@mail.example.net>`;
      const parent = lookup.get(t.header, orgId) as { conversation_id: string };
      conversation.get(orgId, parent.conversation_id);
      duplicate.get(`hash-${seq}`, orgId, 'support@replies.example.com', header);
      msg.run(
        id,
        orgId,
        parent.conversation_id,
        'inbound',
        'Customer',
        0,
        'customer@example.com',
        'Pat Customer',
        'support@replies.example.com',
        null,
        null,
        null,
        'Re: Your order has shipped',
        BODY,
        null,
        header,
        'received',
        now,
        null,
        0,
        now,
      );
      raw.run(id, rawBytes);
      details.run(
        id,
        orgId,
        'customer@example.com',
        'support@replies.example.com',
        '127.0.0.1',
        'mx.example.net',
        'reply',
        'none',
        'Thanks, could you leave it with a neighbour?',
        `hash-${seq}`,
        rawBytes.length,
        'spf=pass; dkim=none; dmarc=pass',
        '{"spf":"pass","dmarc":"pass"}',
      );
      event.run(newId(now), id, 'received', now, null, null);
      threading.run(id, orgId, t.header, t.header, now);
      decision.run(id, orgId, parent.conversation_id, 'in-reply-to', 'threaded', '{"matched":true}', now);
      const item = openItem.get(parent.conversation_id) as { id: string; queue_id: string } | undefined;
      if (item) itemEvent.run(newId(now), item.id, orgId, item.queue_id, 'message_added', now);
      touch.run(now, parent.conversation_id);
    }
  });
  const floor = measure(`threading, storing and queueing a reply (group commits of ${batch})`, count, () => {
    for (let done = 0; done < count; done += batch) store(Math.min(batch, count - done));
  });
  db.close();
  return floor;
}

/** Opens a work item on the conversations of `count` sent messages; returns them as reply targets. */
export function replyTargets(file: string, orgId: string, queueId: string, count: number): Array<{ header: string; workItemId: string; queueId: string }> {
  const db = open(file);
  const sent = db.prepare("select id, conversation_id, message_id_header from messages where org_id = ? and direction = 'outbound' limit ?").all(orgId, count) as Array<{
    id: string;
    conversation_id: string;
    message_id_header: string;
  }>;
  const item = db.prepare(
    "insert into work_items (id, org_id, queue_id, conversation_id, message_id, priority, state, enqueued_at, lease_expiries, created_at, updated_at) values (?, ?, ?, ?, ?, 0, 'waiting', ?, 0, ?, ?)",
  );
  const targets = db.transaction(() =>
    sent.map((m) => {
      const now = Date.now();
      const id = newId(now);
      item.run(id, orgId, queueId, m.conversation_id, m.id, now, now, now);
      return { header: m.message_id_header, workItemId: id, queueId };
    }),
  )();
  db.close();
  return targets;
}
