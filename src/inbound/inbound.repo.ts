import { compiled, compiledInsert, LIMIT_ONE } from '../db/compiled.js';
import type { Executor, InboundDetailsTable, QuarantineTable } from '../db/schema.js';
import { deleteRawChunks, RAW_CHUNK_BYTES, readRaw, writeRaw } from './raw-chunks.js';
import type { RawSource } from './spool.js';

// The statements every received message runs are compiled once (db/compiled.ts).
const insertDetailsOnce = compiledInsert('inbound_details', {
  message_id: true,
  org_id: true,
  envelope_from: true,
  envelope_to: true,
  remote_address: true,
  helo: true,
  kind: true,
  kind_reason: true,
  reply_text: true,
  content_hash: true,
  size_bytes: true,
  auth_results: true,
  auth_summary: true,
  skipped: true,
});
export const insertDetails = (db: Executor, row: InboundDetailsTable) => insertDetailsOnce(db, row);

const insertRawOnce = compiledInsert('raw_messages', { message_id: true, raw: true });
/** A received message's bytes, in pieces (raw-chunks.ts). */
export const insertRaw = (db: Executor, messageId: string, raw: RawSource) => writeRaw(db, messageId, raw, (first) => insertRawOnce(db, { message_id: messageId, raw: first }));

/** A received message's bytes as received, or null. */
export async function findRaw(db: Executor, messageId: string): Promise<Buffer | null> {
  const row = await db.selectFrom('raw_messages').select('raw').where('message_id', '=', messageId).executeTakeFirst();
  return row ? readRaw(db, messageId, row.raw) : null;
}

/**
 * The first `max` bytes of a received message (at most one piece: RAW_CHUNK_BYTES) and its
 * size, without reading the rest of it.
 */
export async function findRawHead(db: Executor, messageId: string, max: number): Promise<{ bytes: Buffer; size: number } | null> {
  const row = await db
    .selectFrom('raw_messages')
    .leftJoin('inbound_details', 'inbound_details.message_id', 'raw_messages.message_id')
    .select(['raw_messages.raw', 'inbound_details.size_bytes'])
    .where('raw_messages.message_id', '=', messageId)
    .executeTakeFirst();
  if (!row) return null;
  const first = Buffer.from(row.raw);
  return { bytes: first.subarray(0, Math.min(max, RAW_CHUNK_BYTES)), size: Number(row.size_bytes ?? first.length) };
}

export const findDetails = (db: Executor, messageId: string) => db.selectFrom('inbound_details').selectAll().where('message_id', '=', messageId).executeTakeFirst();

const findDuplicateOnce = compiled((ex: Executor, v: { orgId: string; header: string; hash: string; to: string }) =>
  ex
    .selectFrom('inbound_details')
    .innerJoin('messages', 'messages.id', 'inbound_details.message_id')
    .select(['messages.id', 'messages.conversation_id'])
    .where('inbound_details.content_hash', '=', v.hash)
    .where('inbound_details.org_id', '=', v.orgId)
    .where('inbound_details.envelope_to', '=', v.to)
    .where('messages.message_id_header', '=', v.header)
    .limit(LIMIT_ONE),
);
/** The same message already received for the same recipient: same Message-ID and content. */
export const findDuplicate = async (db: Executor, orgId: string, messageIdHeader: string, contentHash: string, envelopeTo: string) =>
  (await findDuplicateOnce(db, { orgId, header: messageIdHeader, hash: contentHash, to: envelopeTo })).rows[0];

export const insertQuarantine = (db: Executor, row: QuarantineTable) => db.insertInto('quarantine').values(row).execute();
/** An entry without its bytes (listing and showing never need them). */
const ENTRY = [
  'id',
  'org_id',
  'conversation_id',
  'signal',
  'reason',
  'from_email',
  'subject',
  'message_id_header',
  'envelope_from',
  'recipients',
  'remote_address',
  'helo',
  'auth_results',
  'auth_summary',
  'decision',
  'state',
  'created_at',
  'resolved_at',
  'resolved_by',
  'resolution',
  'result_message_id',
] as const;
export const findQuarantine = (db: Executor, orgId: string, id: string) => db.selectFrom('quarantine').select(ENTRY).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export async function findQuarantinedRaw(db: Executor, id: string): Promise<Buffer | null> {
  const first = (await db.selectFrom('quarantine').select('raw').where('id', '=', id).executeTakeFirst())?.raw ?? null;
  return first ? readRaw(db, id, first) : null;
}
/** The same message already held for this organization (a retry of the same delivery). */
export const findHeld = (db: Executor, orgId: string, messageIdHeader: string) =>
  db.selectFrom('quarantine').select(['id', 'conversation_id']).where('org_id', '=', orgId).where('message_id_header', '=', messageIdHeader).where('state', '=', 'held').executeTakeFirst();
export const listQuarantine = (db: Executor, orgId: string, state: string | null, limit: number, offset: number) => {
  let q = db.selectFrom('quarantine').select(ENTRY).where('org_id', '=', orgId);
  if (state) q = q.where('state', '=', state as QuarantineTable['state']);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
};
/** Marks a held entry resolved and deletes its bytes; false when it was no longer held. */
export async function resolveQuarantine(
  db: Executor,
  id: string,
  set: Pick<QuarantineTable, 'state' | 'resolved_at' | 'resolved_by' | 'resolution' | 'result_message_id'>,
): Promise<boolean> {
  const updated =
    Number(
      (
        await db
          .updateTable('quarantine')
          .set({ ...set, raw: null })
          .where('id', '=', id)
          .where('state', '=', 'held')
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1;
  if (updated) await deleteRawChunks(db, id);
  return updated;
}
export const setQuarantineResult = (db: Executor, id: string, messageId: string) => db.updateTable('quarantine').set({ result_message_id: messageId }).where('id', '=', id).execute();
