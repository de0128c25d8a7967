import { sql } from 'kysely';
import { compiled, compiledInsert, compiledInsertRows, dialectOf } from '../db/compiled.js';
import type { ConversationsTable, Executor, MessageBouncesTable, MessageEventsTable, MessagesTable } from '../db/schema.js';

export type ConversationRow = ConversationsTable;
export type MessageRow = MessagesTable;
export type MessageEventRow = MessageEventsTable;

// The statements every send and delivery runs are compiled once (db/compiled.ts).
const insertConversationOnce = compiledInsert('conversations', {
  id: true,
  org_id: true,
  subject: true,
  customer_email: true,
  created_at: true,
  updated_at: true,
  queue_id: true,
  previous_conversation_id: true,
  awaiting_reply: true,
});
export const insertConversation = (db: Executor, row: ConversationRow) => insertConversationOnce(db, { awaiting_reply: 0, ...row });

const findConversationOnce = compiled((ex: Executor, v: { orgId: string; id: string }) => ex.selectFrom('conversations').selectAll().where('org_id', '=', v.orgId).where('id', '=', v.id));
export const findConversation = async (db: Executor, orgId: string, id: string) => (await findConversationOnce(db, { orgId, id })).rows[0];

// A message written into a conversation makes it one the listings show, if it was waiting for
// its customer's reply (an "onResponse" outbound configuration's).
const touchConversationOnce = compiled<{ id: string; at: number }>((ex, v) => ex.updateTable('conversations').set({ updated_at: v.at, awaiting_reply: 0 }).where('id', '=', v.id));
export const touchConversation = (db: Executor, id: string, at: number) => touchConversationOnce(db, { id, at });

const insertMessageOnce = compiledInsert('messages', {
  id: true,
  org_id: true,
  conversation_id: true,
  direction: true,
  sender_type: true,
  stitched: true,
  from_email: true,
  from_name: true,
  to_email: true,
  to_name: true,
  reply_to_email: true,
  reply_to_name: true,
  subject: true,
  text_body: true,
  html_body: true,
  message_id_header: true,
  status: true,
  status_at: true,
  last_response: true,
  attempts: true,
  created_at: true,
});
export const insertMessage = (db: Executor, row: MessageRow) => insertMessageOnce(db, row);

export const findMessage = (db: Executor, orgId: string, conversationId: string, id: string) =>
  db.selectFrom('messages').selectAll().where('org_id', '=', orgId).where('conversation_id', '=', conversationId).where('id', '=', id).executeTakeFirst();

export const findMessageById = (db: Executor, id: string) => db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

/**
 * The messages a delivery claim took, each with its bodies only when they are at most
 * `maxBodyChars` long together (`body_chars`: their length): a claim of many large messages
 * would otherwise hold all their bodies at once. The others' bodies are read when they are sent
 * (findMessageBodies), within the delivery budget.
 */
export const findMessagesForDelivery = (db: Executor, ids: string[], maxBodyChars: number) => {
  if (ids.length === 0) return Promise.resolve([]);
  const chars = sql<number>`coalesce(length(text_body), 0) + coalesce(length(html_body), 0)`;
  const small = sql<boolean>`${chars} <= ${maxBodyChars}`;
  return db
    .selectFrom('messages')
    .select([
      'id',
      'org_id',
      'conversation_id',
      'sender_type',
      'from_email',
      'from_name',
      'to_email',
      'to_name',
      'reply_to_email',
      'reply_to_name',
      'subject',
      'message_id_header',
      'created_at',
    ])
    .select([sql<string | null>`case when ${small} then text_body end`.as('text_body'), sql<string | null>`case when ${small} then html_body end`.as('html_body'), chars.as('body_chars')])
    .where('id', 'in', ids)
    .execute();
};

export const findMessageBodies = (db: Executor, id: string) => db.selectFrom('messages').select(['text_body', 'html_body']).where('id', '=', id).executeTakeFirst();

export const listMessages = (db: Executor, orgId: string, conversationId: string, includeStitched: boolean, limit: number, offset: number) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('conversation_id', '=', conversationId)
    .$if(!includeStitched, (q) => q.where('stitched', '=', 0))
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .offset(offset)
    .execute();

export const countMessages = async (db: Executor, conversationId: string, includeStitched = true, direction?: 'inbound' | 'outbound') =>
  Number(
    (
      await db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('conversation_id', '=', conversationId)
        .$if(!includeStitched, (q) => q.where('stitched', '=', 0))
        .$if(direction !== undefined, (q) => q.where('direction', '=', direction!))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** One statement whatever the number of rows (a round trip each on PostgreSQL). */
export const insertEvents = compiledInsertRows('message_events', { id: true, message_id: true, status: true, at: true, smtp_response: true, detail: true });

export const listEvents = (db: Executor, messageId: string) => db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();

export const setStatus = (db: Executor, ids: string[], patch: Pick<MessageRow, 'status' | 'status_at'> & Partial<Pick<MessageRow, 'last_response' | 'attempts'>>) =>
  db.updateTable('messages').set(patch).where('id', 'in', ids).execute();

/** A delivery attempt's outcome on the message row (the worker records one per message); returns whose message it is. */
const setOutcomeOnce = compiled((ex: Executor, v: Pick<MessageRow, 'id' | 'status' | 'status_at' | 'last_response' | 'attempts'>) =>
  ex
    .updateTable('messages')
    .set({ status: v.status, status_at: v.status_at, last_response: v.last_response, attempts: v.attempts })
    .where('id', '=', v.id)
    .returning(['org_id', 'conversation_id']),
);

type Outcome = Pick<MessageRow, 'id' | 'status' | 'last_response' | 'attempts'>;
type Owner = Pick<MessageRow, 'org_id' | 'conversation_id'>;

/**
 * Delivery outcomes on their message rows, all at `statusAt`; returns whose message each is, by
 * id (a message that no longer exists is absent). On PostgreSQL one statement takes them all,
 * one round trip for the worker's whole batch instead of one per message; on SQLite, where a
 * statement costs no round trip, the update compiled once runs for each.
 */
export async function setOutcomes(db: Executor, statusAt: number, rows: Outcome[]): Promise<Map<string, Owner>> {
  const owners = new Map<string, Owner>();
  if (dialectOf(db) === 'postgres' && rows.length > 1) {
    const column = <K extends keyof Outcome>(k: K) => rows.map((r) => r[k]);
    const updated = await sql<Owner & { id: string }>`update messages as m
      set status = u.status, status_at = ${statusAt}, last_response = u.last_response, attempts = u.attempts
      from unnest(${column('id')}::text[], ${column('status')}::text[], ${column('last_response')}::text[], ${column('attempts')}::integer[])
        as u(id, status, last_response, attempts)
      where m.id = u.id
      returning m.id, m.org_id, m.conversation_id`.execute(db);
    for (const { id, ...owner } of updated.rows) owners.set(id, owner);
    return owners;
  }
  for (const row of rows) {
    const owner = (await setOutcomeOnce(db, { ...row, status_at: statusAt })).rows[0];
    if (owner) owners.set(row.id, owner);
  }
  return owners;
}

export const setConversationQueue = (db: Executor, id: string, queueId: string) => db.updateTable('conversations').set({ queue_id: queueId }).where('id', '=', id).execute();

export const setAwaitingReply = (db: Executor, id: string) => db.updateTable('conversations').set({ awaiting_reply: 1 }).where('id', '=', id).execute();

/** The newest message of a conversation in one direction (the one an agent's reply answers). */
export const latestMessage = (db: Executor, conversationId: string, direction: 'inbound' | 'outbound') =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', direction)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();

/** What the inbound path recorded about received messages (kind, new text). */
export const inboundFacts = async (db: Executor, ids: string[]) =>
  ids.length === 0
    ? []
    : db.selectFrom('inbound_details').select(['message_id', 'kind', 'kind_reason', 'reply_text', 'auth_results', 'auth_summary', 'skipped']).where('message_id', 'in', ids).execute();

/** An organization's conversations, newest first (index conversations_org_created). */
export const listConversations = (db: Executor, orgId: string, limit: number, offset: number) =>
  db
    .selectFrom('conversations')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('awaiting_reply', '=', 0)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();

export const countConversations = async (db: Executor, orgId: string) =>
  Number(
    (
      await db
        .selectFrom('conversations')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_id', '=', orgId)
        .where('awaiting_reply', '=', 0)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Messages each conversation received from its customer, for a page of conversations. */
export const countInbound = async (db: Executor, conversationIds: string[]) =>
  conversationIds.length === 0
    ? []
    : db
        .selectFrom('messages')
        .select((eb) => ['conversation_id', eb.fn.countAll().as('n')])
        .where('conversation_id', 'in', conversationIds)
        .where('direction', '=', 'inbound')
        .groupBy('conversation_id')
        .execute();

export interface MessageFilter {
  /** Matches the sender or the recipient, case-insensitively. */
  address?: string;
  status?: string;
  direction?: 'inbound' | 'outbound';
  /** Epoch milliseconds, start inclusive, end exclusive. */
  since?: number;
  until?: number;
  /** One conversation's messages (index messages_conversation). */
  conversationId?: string;
}

/** Where a page of newest-first messages ends: the next page starts below it. */
export interface MessageKey {
  createdAt: number;
  id: string;
}

const filtered = (db: Executor, orgId: string, f: MessageFilter) =>
  db
    .selectFrom('messages')
    .where('org_id', '=', orgId)
    .$if(f.address !== undefined, (q) =>
      q.where((eb) => eb.or([eb(eb.fn('lower', ['from_email']), '=', f.address!.toLowerCase()), eb(eb.fn('lower', ['to_email']), '=', f.address!.toLowerCase())])),
    )
    .$if(f.status !== undefined, (q) => q.where('status', '=', f.status!))
    .$if(f.direction !== undefined, (q) => q.where('direction', '=', f.direction!))
    .$if(f.since !== undefined, (q) => q.where('created_at', '>=', f.since!))
    .$if(f.until !== undefined, (q) => q.where('created_at', '<', f.until!))
    .$if(f.conversationId !== undefined, (q) => q.where('conversation_id', '=', f.conversationId!));

/**
 * An organization's messages matching the filter, newest first. No index of its own: the total
 * the listing reports reads every match anyway, and one more index on messages costs every send
 * and every reply a write (and the planner chose it over the threading lookup's).
 */
export const searchMessages = (db: Executor, orgId: string, f: MessageFilter, limit: number, offset: number) =>
  filtered(db, orgId, f).selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();

/** Keyset paging of the same search: the page after `before` (none: the newest), without counting every match. */
export const searchMessagesBefore = (db: Executor, orgId: string, f: MessageFilter, before: MessageKey | undefined, limit: number) =>
  filtered(db, orgId, f)
    .selectAll()
    .$if(before !== undefined, (q) => q.where((eb) => eb.or([eb('created_at', '<', before!.createdAt), eb.and([eb('created_at', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();

export const countSearch = async (db: Executor, orgId: string, f: MessageFilter) =>
  Number(
    (
      await filtered(db, orgId, f)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** What a bounce or complaint said about a message: the latest word replaces an earlier one. */
export const saveBounce = (db: Executor, row: MessageBouncesTable) =>
  db
    .insertInto('message_bounces')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('message_id')
        .doUpdateSet({ type: row.type, status: row.status, action: row.action, diagnostic: row.diagnostic, remote_mta: row.remote_mta, source: row.source, reason: row.reason, at: row.at }),
    )
    .execute();
export const findBounce = (db: Executor, messageId: string) => db.selectFrom('message_bounces').selectAll().where('message_id', '=', messageId).executeTakeFirst();
