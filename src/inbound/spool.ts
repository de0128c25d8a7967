import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

// A message's bytes on their way in. SMTP DATA goes to a spool file in the data folder, not into
// memory: fifty large messages arriving at once would otherwise be held fifty times over, before
// and while they are parsed. Parsing reads the start of the file, authentication streams it, and
// storing copies it into the database in pieces (raw-chunks.ts). The file is only a work area:
// the 250 is given once the database holds the message, and the file is deleted either way
// (a message whose 250 never went out is sent again by its sender).

/** The bytes of one message, wherever they are. */
export interface RawSource {
  readonly size: number;
  /** The first `bytes` bytes (fewer when the message is shorter). */
  head(bytes: number): Promise<Buffer>;
  /** The whole message, `chunkBytes` at a time. */
  stream(chunkBytes?: number): Readable;
  /** The whole message when it is held in memory: read without a stream (raw-chunks.ts). */
  readonly bytes?: Buffer;
}

const DEFAULT_CHUNK = 64 * 1024;

export function bufferSource(raw: Uint8Array): RawSource {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  function* pieces(chunkBytes: number) {
    for (let at = 0; at < buf.length; at += chunkBytes) yield buf.subarray(at, at + chunkBytes);
  }
  return {
    size: buf.length,
    bytes: buf,
    head: async (bytes) => buf.subarray(0, bytes),
    stream: (chunkBytes = DEFAULT_CHUNK) => Readable.from(pieces(chunkBytes), { objectMode: false }),
  };
}

export function fileSource(file: string, size: number): RawSource {
  return {
    size,
    async head(bytes) {
      const fh = await fsp.open(file, 'r');
      try {
        const buf = Buffer.alloc(Math.min(bytes, size));
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    stream: (chunkBytes = DEFAULT_CHUNK) => fs.createReadStream(file, { highWaterMark: chunkBytes }),
  };
}

export const spoolDir = (dataDir: string) => path.join(dataDir, 'spool');

/**
 * Empties (and creates, owner only) the spool folder at start. What is left there was never
 * answered 250 (the process stopped first): its sender still holds it and sends it again.
 */
export function resetSpool(dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface Spooled {
  file: string;
  size: number;
}

/** A message as DATA delivered it: in memory when small, else in its spool file. */
export type Received = { raw: Buffer; spool?: undefined } | { spool: Spooled; raw?: undefined };

/**
 * Bytes of a message kept in memory before it goes to a spool file (Haraka's `spool_after`):
 * most mail is a few kilobytes, and a file per message would cost every one of them several
 * system calls; fifty large messages at once still hold only this much each.
 */
export const SPOOL_AFTER_BYTES = 128 * 1024;

/**
 * Reads `input` to its end whatever its size (the client must finish DATA), keeping it only up
 * to `maxBytes` (null past that): in memory up to `memoryBytes`, past that in a new file in
 * `dir`. `input` may be in flowing mode (a listener counts its bytes): it is paused while a
 * write is pending, which holds the client back rather than the bytes in memory.
 *
 * The file is not fsync'd: it is a work area, not where the message is kept. The 250 is given
 * only after the database has committed the message; before that a crash loses nothing the
 * sender does not still hold.
 */
export async function spool(dir: string, input: Readable, maxBytes: number, memoryBytes = SPOOL_AFTER_BYTES): Promise<Received | null> {
  const file = path.join(dir, `${randomUUID()}.eml`);
  let size = 0;
  let held: Buffer[] = [];
  let opening: Promise<fsp.FileHandle> | null = null;
  // A failed write (a full disk) stops the writing, not the reading: the client still finishes
  // DATA, and then hears why.
  let failed: unknown = null;
  let writing: Promise<unknown> = Promise.resolve();
  const write = (chunk: Buffer) => {
    opening ??= fsp.open(file, 'wx', 0o600);
    const open = opening;
    input.pause();
    writing = writing
      .then(() => open)
      .then((fh) => fh.write(chunk))
      .then(
        () => {},
        (err: unknown) => {
          failed ??= err;
        },
      )
      .finally(() => input.resume());
  };
  const read = new Promise<void>((resolve, reject) => {
    input.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes || failed !== null) {
        held = [];
        return;
      }
      if (opening) return write(chunk);
      held.push(chunk);
      if (size > memoryBytes) {
        write(Buffer.concat(held));
        held = [];
      }
    });
    input.once('error', reject);
    input.once('end', () => void writing.then(() => resolve(), reject));
  });
  try {
    await read;
  } catch (err) {
    // The connection broke off: whatever was written goes.
    if (opening) await writing.then(() => opening!.then((fh) => fh.close()).catch(() => {}));
    await fsp.rm(file, { force: true });
    throw err;
  }
  if (!opening) return size > maxBytes ? null : { raw: Buffer.concat(held) };
  const fh = await (opening as Promise<fsp.FileHandle>).catch((err: unknown) => {
    failed ??= err;
    return null;
  });
  await fh?.close();
  if (failed !== null || size > maxBytes) await fsp.rm(file, { force: true });
  if (failed !== null) throw failed;
  return size > maxBytes ? null : { spool: { file, size } };
}

/** Deletes a spooled message once it is stored (or refused). */
export const unspool = (s: Spooled) => fsp.rm(s.file, { force: true }).then(() => {});
