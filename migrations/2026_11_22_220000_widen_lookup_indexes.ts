import type { Kysely } from 'kysely';

// Two lookups on the inbound path read more rows than they keep:
// - threading finds the newest message with a given Message-ID (`order by created_at desc
//   limit 1`): with the header alone indexed, SQLite sorted the matches in a temporary B-tree
//   for every In-Reply-To, References and Thread-Index candidate;
// - the duplicate check matches content hash and recipient: with the hash alone indexed, a
//   message sent to many of our addresses (one copy per recipient, same hash) was read once per
//   copy already stored, then thrown away on the recipient.
// Each index is replaced by one that starts with the same column, so nothing else loses it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('messages_message_id_header_created').ifNotExists().on('messages').columns(['message_id_header', 'created_at']).execute();
  await db.schema.dropIndex('messages_message_id_header').ifExists().execute();
  await db.schema.createIndex('inbound_details_hash_to').ifNotExists().on('inbound_details').columns(['content_hash', 'envelope_to']).execute();
  await db.schema.dropIndex('inbound_details_hash').ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('messages_message_id_header').ifNotExists().on('messages').columns(['message_id_header']).execute();
  await db.schema.dropIndex('messages_message_id_header_created').ifExists().execute();
  await db.schema.createIndex('inbound_details_hash').ifNotExists().on('inbound_details').columns(['content_hash']).execute();
  await db.schema.dropIndex('inbound_details_hash_to').ifExists().execute();
}
