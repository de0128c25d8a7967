import { compiledInsert } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';
import type { RawSource } from './spool.js';

// A message's bytes in the database, in pieces: the first in its own row (raw_messages.raw,
// quarantine.raw), the rest in raw_message_chunks under the same id. Storing reads the spool file
// one piece at a time, so no multi-megabyte value is held in memory (and again in the driver) to
// store it. The bytes stay in the database, not in the spool, because the 250 and the stored
// message are one commit, and every instance on a shared PostgreSQL reads them.

/** Bytes per piece. */
export const RAW_CHUNK_BYTES = 256 * 1024;

const insertChunk = compiledInsert('raw_message_chunks', { owner_id: true, seq: true, chunk: true });

/**
 * Writes `raw` under `ownerId`: its first piece through `first` (the owner's own row), the
 * rest as chunk rows numbered from 1.
 */
export async function writeRaw(db: Executor, ownerId: string, raw: RawSource, first: (bytes: Buffer) => Promise<unknown>): Promise<void> {
  // Bytes in memory (most mail) are cut in place: a stream and its async iterator per message
  // cost the main thread more than the insert itself.
  if (raw.bytes) {
    await first(raw.bytes.subarray(0, RAW_CHUNK_BYTES));
    for (let seq = 1; seq * RAW_CHUNK_BYTES < raw.bytes.length; seq++) {
      await insertChunk(db, { owner_id: ownerId, seq, chunk: raw.bytes.subarray(seq * RAW_CHUNK_BYTES, (seq + 1) * RAW_CHUNK_BYTES) });
    }
    return;
  }
  let seq = 0;
  for await (const piece of raw.stream(RAW_CHUNK_BYTES)) {
    const bytes = piece as Buffer;
    if (seq === 0) await first(bytes);
    else await insertChunk(db, { owner_id: ownerId, seq, chunk: bytes });
    seq++;
  }
  if (seq === 0) await first(Buffer.alloc(0));
}

/** The whole message: `first` (the owner's own row) followed by its chunk rows in order. */
export async function readRaw(db: Executor, ownerId: string, first: Uint8Array): Promise<Buffer> {
  const rows = await db.selectFrom('raw_message_chunks').select('chunk').where('owner_id', '=', ownerId).orderBy('seq').execute();
  return Buffer.concat([first, ...rows.map((r) => r.chunk)]);
}

export const deleteRawChunks = (db: Executor, ownerId: string) => db.deleteFrom('raw_message_chunks').where('owner_id', '=', ownerId).execute();
