import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError, badRequest } from '../errors.js';
import { byteBudget } from '../threads/byte-budget.js';
import { leftGarbage } from '../threads/large-garbage.js';
import type { HttpEnv } from './env.js';
import { jsonNestsDeeperThan } from './json-depth.js';

/** Request body limits, by what a route takes. */
export const BODY_LIMITS = {
  /** The token endpoint's form: a grant, a client id and secret, a username and password. */
  form: 16 * 1024,
  /** Administrative JSON: names, ids, settings, up to 100 queue members. */
  json: 64 * 1024,
  /** A message template (all its localizations), a template preview, or a 100-contact invocation. */
  template: 2 * 1024 * 1024,
  /** A message (agentless send, agent reply): 3 MB of text and HTML, which JSON escaping can grow. */
  message: 8 * 1024 * 1024,
} as const;

/** Deeper than any body of ours nests; bounds JSON.parse's time on a body of brackets. */
export const MAX_JSON_DEPTH = 32;

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
const decoder = new TextDecoder();

const tooLarge = (maxBytes: number) => new AppError(413, 'request.entity.too.large', `The request body is larger than ${maxBytes} bytes.`);

/**
 * Reads the body once, refusing it with a 413 as soon as it passes `maxBytes`: a declared
 * Content-Length is judged before a byte is read, a chunked body is counted as it arrives and
 * cut off there (Node's parser already refuses a body longer or shorter than its
 * Content-Length). A JSON body nesting deeper than MAX_JSON_DEPTH is a 400. The bytes then go
 * into Hono's body cache, where its validators and `c.req.json()` find them. Mount it after the
 * permission check: a caller without the permission never gets its body read.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (!chunked && length !== undefined && Number(length) > maxBytes) throw tooLarge(maxBytes);
    if (!hasBody(c, incoming, length, chunked)) return next();
    // A chunked body may grow to the limit: it is budgeted at the limit.
    const bytes = !chunked && length !== undefined ? Number(length) : maxBytes;
    if (bytes <= UNBUDGETED_BYTES) return readThenNext(c, next, incoming, maxBytes);
    let read = 0;
    try {
      return await budget.run(bytes, () => readThenNext(c, next, incoming, maxBytes, (n) => (read = n)));
    } finally {
      leftGarbage(read);
    }
  };
}

/**
 * Large request bodies handled at once. Reading, parsing, validating and storing a body holds
 * several copies of it: fifty large sends at once would hold fifty times that; past the budget
 * they wait their turn (their bytes still in the socket). Small bodies never wait.
 */
const BODY_BUDGET_BYTES = 8 * 1024 * 1024;
const UNBUDGETED_BYTES = 256 * 1024;
/** One budget for every route: memory follows the bodies read at once, whichever routes take them. */
const budget = byteBudget(BODY_BUDGET_BYTES);

async function readThenNext(c: Context<HttpEnv>, next: () => Promise<void>, incoming: IncomingMessage | undefined, maxBytes: number, onRead?: (bytes: number) => void): Promise<void> {
  const body = await (incoming ? readIncoming(incoming, maxBytes) : readStream(c.req.raw.body, maxBytes));
  onRead?.(body.byteLength);
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim() ?? '';
  // Hono's body cache holds promises (typed as the Body methods they replace); `c.req.json()`
  // parses the cached text, the form validator takes the cached bytes.
  const cache = c.req.bodyCache as { text?: Promise<string>; arrayBuffer?: Promise<ArrayBuffer> };
  if (JSON_TYPE.test(mediaType)) {
    if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) throw badRequest('body', `The JSON body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels.`);
    cache.text = Promise.resolve(decoder.decode(body));
  } else {
    cache.arrayBuffer = Promise.resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
  }
  await next();
}

function hasBody(c: Context<HttpEnv>, incoming: IncomingMessage | undefined, length: string | undefined, chunked: boolean): boolean {
  if (chunked) return true;
  if (length !== undefined) return length !== '0';
  // HTTP/1.1 without either header has no body (RFC 9112 §6.3); HTTP/2, or another adapter, may.
  return incoming ? incoming.httpVersionMajor !== 1 : c.req.raw.body !== null;
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (finish: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      finish();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Not destroyed: that would close the socket before the 413 is written.
      incoming.pause();
      settle(() => reject(tooLarge(maxBytes)));
    };
    const onEnd = () => settle(() => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    const onGone = () => settle(() => reject(new AppError(400, 'bad.request', 'The request body ended before it was complete.')));
    incoming.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

async function readStream(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream?.getReader();
  for (;;) {
    const read = await reader?.read();
    if (!read || read.done) return Buffer.concat(chunks, size);
    size += read.value.length;
    if (size > maxBytes) {
      await reader!.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(read.value);
  }
}
