import { compiled, compiledInsert, LIMIT_ONE } from '../db/compiled.js';
import type { Executor, MessageThreadingTable, ThreadingDecisionsTable, ThreadingSettingsTable } from '../db/schema.js';

// What every received message runs (its lookups, its headers and decision) is compiled once
// (db/compiled.ts).
const insertThreadingOnce = compiledInsert('message_threading', {
  message_id: true,
  org_id: true,
  in_reply_to: true,
  references_list: true,
  thread_index: true,
  thread_index_root: true,
  thread_topic: true,
  created_at: true,
});
export const insertThreading = (db: Executor, row: MessageThreadingTable) => insertThreadingOnce(db, row);

export const findThreading = (db: Executor, messageId: string) => db.selectFrom('message_threading').selectAll().where('message_id', '=', messageId).executeTakeFirst();

/** The newest message of the organization whose Thread-Index has this header block. */
export const findByThreadIndexRoot = (db: Executor, orgId: string, root: string) =>
  db
    .selectFrom('message_threading')
    .innerJoin('messages', 'messages.id', 'message_threading.message_id')
    .select(['messages.id', 'messages.org_id', 'messages.conversation_id', 'messages.created_at'])
    .where('message_threading.thread_index_root', '=', root)
    .where('message_threading.org_id', '=', orgId)
    .orderBy('messages.created_at', 'desc')
    .limit(LIMIT_ONE)
    .executeTakeFirst();

const findByMessageIdHeaderOnce = compiled((ex: Executor, v: { orgId: string; header: string }) =>
  ex
    .selectFrom('messages')
    .select(['id', 'org_id', 'conversation_id', 'created_at'])
    .where('message_id_header', '=', v.header)
    .where('org_id', '=', v.orgId)
    .orderBy('created_at', 'desc')
    .limit(LIMIT_ONE),
);
/** The newest message of the organization with this Message-ID. */
export const findByMessageIdHeader = async (db: Executor, orgId: string, header: string) => (await findByMessageIdHeaderOnce(db, { orgId, header })).rows[0];

const existsElsewhereOnce = compiled((ex: Executor, v: { orgId: string; header: string }) =>
  ex.selectFrom('messages').select('id').where('message_id_header', '=', v.header).where('org_id', '!=', v.orgId).limit(LIMIT_ONE),
);
/** Whether any other organization has a message with this Message-ID (recorded, never followed). */
export const existsElsewhere = async (db: Executor, orgId: string, header: string) => (await existsElsewhereOnce(db, { orgId, header })).rows.length > 0;

const findMessageOnce = compiled((ex: Executor, v: { id: string }) => ex.selectFrom('messages').select(['id', 'org_id', 'conversation_id', 'created_at']).where('id', '=', v.id));
export const findMessage = async (db: Executor, id: string) => (await findMessageOnce(db, { id })).rows[0];

const insertDecisionOnce = compiledInsert('threading_decisions', { message_id: true, org_id: true, conversation_id: true, signal: true, outcome: true, detail: true, created_at: true });
export const insertDecision = (db: Executor, row: ThreadingDecisionsTable) => insertDecisionOnce(db, row);

export const findDecision = (db: Executor, orgId: string, messageId: string) =>
  db.selectFrom('threading_decisions').selectAll().where('org_id', '=', orgId).where('message_id', '=', messageId).executeTakeFirst();

export const findSettings = (db: Executor, orgId: string) => db.selectFrom('threading_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();

export const upsertSettings = (db: Executor, row: ThreadingSettingsTable) =>
  db
    .insertInto('threading_settings')
    .values(row)
    .onConflict((oc) =>
      oc.column('org_id').doUpdateSet({ window_days: row.window_days, subject_threading: row.subject_threading, inbound_auth: row.inbound_auth ?? null, updated_at: row.updated_at }),
    )
    .execute();

export const findThreadingMany = (db: Executor, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('message_threading').selectAll().where('message_id', 'in', ids).execute();
