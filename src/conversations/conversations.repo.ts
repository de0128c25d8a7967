import type { ConversationsTable, Executor, MessageEventsTable, MessagesTable } from '../db/schema.js';

export type ConversationRow = ConversationsTable;
export type MessageRow = MessagesTable;
export type MessageEventRow = MessageEventsTable;

export const insertConversation = (db: Executor, row: ConversationRow) => db.insertInto('conversations').values(row).execute();

export const findConversation = (db: Executor, orgId: string, id: string) =>
  db.selectFrom('conversations').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

export const touchConversation = (db: Executor, id: string, at: number) =>
  db.updateTable('conversations').set({ updated_at: at }).where('id', '=', id).execute();

export const insertMessage = (db: Executor, row: MessageRow) => db.insertInto('messages').values(row).execute();

export const findMessage = (db: Executor, orgId: string, conversationId: string, id: string) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('conversation_id', '=', conversationId)
    .where('id', '=', id)
    .executeTakeFirst();

export const findMessageById = (db: Executor, id: string) =>
  db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

export const findMessagesByIds = (db: Executor, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('messages').selectAll().where('id', 'in', ids).execute();

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

export const countMessages = async (db: Executor, conversationId: string, includeStitched = true) =>
  Number(
    (
      await db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('conversation_id', '=', conversationId)
        .$if(!includeStitched, (q) => q.where('stitched', '=', 0))
        .executeTakeFirstOrThrow()
    ).n,
  );

export const insertEvents = (db: Executor, rows: MessageEventRow[]) =>
  rows.length === 0 ? Promise.resolve() : db.insertInto('message_events').values(rows).execute();

export const listEvents = (db: Executor, messageId: string) =>
  db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();

export const setStatus = (
  db: Executor,
  ids: string[],
  patch: Pick<MessageRow, 'status' | 'status_at'> & Partial<Pick<MessageRow, 'last_response' | 'attempts'>>,
) => db.updateTable('messages').set(patch).where('id', 'in', ids).execute();

export const setConversationQueue = (db: Executor, id: string, queueId: string) =>
  db.updateTable('conversations').set({ queue_id: queueId }).where('id', '=', id).execute();

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
    : db.selectFrom('inbound_details').select(['message_id', 'kind', 'kind_reason', 'reply_text', 'auth_results', 'auth_summary']).where('message_id', 'in', ids).execute();
