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
}

const DEFAULT_CHUNK = 64 * 1024;

export function bufferSource(raw: Uint8Array): RawSource {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  function* pieces(chunkBytes: number) {
    for (let at = 0; at < buf.length; at += chunkBytes) yield buf.subarray(at, at + chunkBytes);
  }
  return {
    size: buf.length,
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

/**
 * Writes `input` to a new file in `dir`, read to its end whatever its size (the client must
 * finish DATA), but kept only up to `maxBytes`: null past that. The file is fsync'd before this
 * resolves. `input` may be in flowing mode (a listener counts its bytes): it is paused while a
 * write is pending, which holds the client back rather than the bytes in memory.
 */
export async function spool(dir: string, input: Readable, maxBytes: number): Promise<Spooled | null> {
  const file = path.join(dir, `${randomUUID()}.eml`);
  let size = 0;
  // Listening starts now, before the file is open: a flowing stream does not wait for us.
  const opening = fsp.open(file, 'wx', 0o600);
  const written = new Promise<void>((resolve, reject) => {
    // A failed write (a full disk) stops the writing, not the reading: the client still
    // finishes DATA, and then hears why.
    let failed: unknown = null;
    let writing: Promise<unknown> = opening;
    input.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes || failed !== null) return;
      input.pause();
      writing = writing
        .then(() => opening)
        .then((fh) => fh.write(chunk))
        .then(
          () => {},
          (err: unknown) => {
            failed ??= err;
          },
        )
        .finally(() => input.resume());
    });
    input.once('error', reject);
    input.once('end', () => void writing.then(() => (failed === null ? resolve() : reject(failed)), reject));
  });
  const fh = await opening.catch(async (err: unknown) => {
    // The bytes are still read to the end (the client must finish DATA) before the refusal.
    await written.catch(() => {});
    throw err;
  });
  try {
    await written;
    if (size <= maxBytes) await fh.sync();
  } catch (err) {
    await fh.close();
    await fsp.rm(file, { force: true });
    throw err;
  }
  await fh.close();
  if (size > maxBytes) {
    await fsp.rm(file, { force: true });
    return null;
  }
  return { file, size };
}

/** Deletes a spooled message once it is stored (or refused). */
export const unspool = (s: Spooled) => fsp.rm(s.file, { force: true }).then(() => {});
