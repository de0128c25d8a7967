import type { Kysely } from 'kysely';

// A reply held in quarantine is looked up by its Message-ID before another copy is held (a
// sender's retry is a duplicate). Without this index the lookup read every held entry of the
// organization: a flood of forged replies made each new one slower than the last.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('quarantine_org_message_id').ifNotExists().on('quarantine').columns(['org_id', 'message_id_header']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('quarantine_org_message_id').ifExists().execute();
}
