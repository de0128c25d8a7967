import type { Executor, MessageThreadingTable, ThreadingDecisionsTable, ThreadingSettingsTable } from '../db/schema.js';

export const insertThreading = (db: Executor, row: MessageThreadingTable) => db.insertInto('message_threading').values(row).execute();

export const findThreading = (db: Executor, messageId: string) =>
  db.selectFrom('message_threading').selectAll().where('message_id', '=', messageId).executeTakeFirst();

/** The newest message of the organization whose Thread-Index has this header block. */
export const findByThreadIndexRoot = (db: Executor, orgId: string, root: string) =>
  db
    .selectFrom('message_threading')
    .innerJoin('messages', 'messages.id', 'message_threading.message_id')
    .select(['messages.id', 'messages.org_id', 'messages.conversation_id', 'messages.created_at'])
    .where('message_threading.thread_index_root', '=', root)
    .where('message_threading.org_id', '=', orgId)
    .orderBy('messages.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();

/** The newest message of the organization with this Message-ID. */
export const findByMessageIdHeader = (db: Executor, orgId: string, header: string) =>
  db
    .selectFrom('messages')
    .select(['id', 'org_id', 'conversation_id', 'created_at'])
    .where('message_id_header', '=', header)
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();

/** Whether any other organization has a message with this Message-ID (recorded, never followed). */
export const existsElsewhere = async (db: Executor, orgId: string, header: string) =>
  (await db.selectFrom('messages').select('id').where('message_id_header', '=', header).where('org_id', '!=', orgId).limit(1).executeTakeFirst()) !== undefined;

export const findMessage = (db: Executor, id: string) =>
  db.selectFrom('messages').select(['id', 'org_id', 'conversation_id', 'created_at']).where('id', '=', id).executeTakeFirst();

export const insertDecision = (db: Executor, row: ThreadingDecisionsTable) => db.insertInto('threading_decisions').values(row).execute();

export const findDecision = (db: Executor, orgId: string, messageId: string) =>
  db.selectFrom('threading_decisions').selectAll().where('org_id', '=', orgId).where('message_id', '=', messageId).executeTakeFirst();

export const findSettings = (db: Executor, orgId: string) =>
  db.selectFrom('threading_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();

export const upsertSettings = (db: Executor, row: ThreadingSettingsTable) =>
  db
    .insertInto('threading_settings')
    .values(row)
    .onConflict((oc) => oc.column('org_id').doUpdateSet({ window_days: row.window_days, subject_threading: row.subject_threading, inbound_auth: row.inbound_auth ?? null, updated_at: row.updated_at }))
    .execute();

export const findThreadingMany = (db: Executor, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('message_threading').selectAll().where('message_id', 'in', ids).execute();
