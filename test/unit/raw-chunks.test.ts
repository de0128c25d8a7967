import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type OpenedDb, openDatabase } from '../../src/db/open.js';
import { RAW_CHUNK_BYTES, readRaw, writeRaw } from '../../src/inbound/raw-chunks.js';
import { bufferSource, fileSource, type RawSource } from '../../src/inbound/spool.js';

// A message's bytes go into the database in pieces and come back byte for byte, whether they
// were held in memory (most mail, and a release from quarantine) or in a spool file.

let dir: string;
let opened: OpenedDb;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-raw-chunks-'));
  opened = openDatabase(`sqlite://${path.join(dir, 'raw.db')}`);
  await migrateToLatest(opened.db);
});

afterAll(async () => {
  await opened.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Distinct bytes, so a piece written twice or out of order shows. */
function bytesOf(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

const SIZES = [0, 1, 2048, RAW_CHUNK_BYTES, RAW_CHUNK_BYTES + 1, Math.floor(2.5 * RAW_CHUNK_BYTES)];

describe.each([
  ['in memory', (bytes: Buffer) => bufferSource(bytes)],
  [
    'in a spool file',
    (bytes: Buffer) => {
      const file = path.join(dir, `${bytes.length}-${Math.random()}.eml`);
      fs.writeFileSync(file, bytes);
      return fileSource(file, bytes.length);
    },
  ],
] as Array<[string, (bytes: Buffer) => RawSource]>)('a message %s', (_, sourceOf) => {
  it.each(SIZES)('of %i bytes is stored in pieces and read back whole', async (size) => {
    const bytes = bytesOf(size);
    const owner = `owner-${size}-${Math.random()}`;
    let first: Buffer | null = null;
    await writeRaw(opened.db, owner, sourceOf(bytes), async (b) => {
      expect(first).toBeNull();
      first = Buffer.from(b);
    });
    expect(first).not.toBeNull();
    expect(first!.length).toBe(Math.min(size, RAW_CHUNK_BYTES));
    const pieces = await opened.db.selectFrom('raw_message_chunks').select('seq').where('owner_id', '=', owner).orderBy('seq').execute();
    expect(pieces.map((p) => p.seq)).toEqual(Array.from({ length: Math.max(0, Math.ceil(size / RAW_CHUNK_BYTES) - 1) }, (_, i) => i + 1));
    expect((await readRaw(opened.db, owner, first!)).equals(bytes)).toBe(true);
  });
});
