import fs from 'node:fs/promises';
import { capturedFile } from './transport.js';

export interface RawHead {
  /** The first bytes of the message, at most the `max` asked for. */
  bytes: Buffer;
  /** The whole message's size. */
  size: number;
}

/**
 * The beginning of a message's source, without reading the rest: as received (inbound), or as
 * captured (outbound in capture mode). Null when there is no copy.
 */
export async function rawHead(
  deps: { inbound: { rawHead(messageId: string, max: number): Promise<RawHead | null> }; dataDir: string },
  message: { id: string; direction: string },
  max: number,
): Promise<RawHead | null> {
  if (message.direction === 'inbound') return deps.inbound.rawHead(message.id, max);
  let file: fs.FileHandle;
  try {
    file = await fs.open(capturedFile(deps.dataDir, message.id), 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.min(max, size));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return { bytes: buffer.subarray(0, bytesRead), size };
  } finally {
    await file.close();
  }
}
