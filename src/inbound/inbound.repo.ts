import type { Executor, InboundDetailsTable } from '../db/schema.js';

export const insertDetails = (db: Executor, row: InboundDetailsTable) => db.insertInto('inbound_details').values(row).execute();

export const insertRaw = (db: Executor, messageId: string, raw: Buffer) => db.insertInto('raw_messages').values({ message_id: messageId, raw }).execute();

export const findRaw = (db: Executor, messageId: string) =>
  db.selectFrom('raw_messages').select('raw').where('message_id', '=', messageId).executeTakeFirst();

export const findDetails = (db: Executor, messageId: string) =>
  db.selectFrom('inbound_details').selectAll().where('message_id', '=', messageId).executeTakeFirst();

/** The same message already received for the same recipient: same Message-ID and content. */
export const findDuplicate = (db: Executor, orgId: string, messageIdHeader: string, contentHash: string, envelopeTo: string) =>
  db
    .selectFrom('inbound_details')
    .innerJoin('messages', 'messages.id', 'inbound_details.message_id')
    .select(['messages.id', 'messages.conversation_id'])
    .where('inbound_details.content_hash', '=', contentHash)
    .where('inbound_details.org_id', '=', orgId)
    .where('inbound_details.envelope_to', '=', envelopeTo)
    .where('messages.message_id_header', '=', messageIdHeader)
    .executeTakeFirst();
