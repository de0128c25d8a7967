import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, parsed when it is JSON. */
  body: any;
  /** Body bytes the client wrote before the body ended or the server closed the connection. */
  sent: number;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Declared as Content-Length; without it the body goes chunked. */
  contentLength?: number;
  /** Written in order, each after the socket drained, until it ends or the server hangs up. */
  body?: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Fails the request when no answer came by then (a server waiting for a body it should not read). */
  timeoutMs?: number;
}

/**
 * One request over node:http, for what fetch cannot do: a declared length the body never
 * reaches, a body streamed from a generator that the server may cut off, a body on any method.
 * Writing goes on after the answer, as a client that does not look would, so `sent` shows
 * whether the server read the rest or hung up.
 */
export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(r.path, baseUrl);
  const timeoutMs = r.timeoutMs ?? 10_000;
  let sent = 0;
  const headers: Record<string, string> = { ...r.headers };
  if (r.contentLength !== undefined) headers['content-length'] = String(r.contentLength);
  // Named, since node:http sends a GET's or DELETE's body undelimited otherwise.
  else if (r.body) headers['transfer-encoding'] = 'chunked';
  const req = http.request(url, { method: r.method, headers, agent: false });
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<Omit<RawResponse, 'sent'>>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${r.method} ${r.path}: no answer within ${timeoutMs} ms (${sent} body bytes written)`)), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    // The server may hang up on the upload once it has answered; only an error before counts.
    req.on('error', reject);
  });
  const upload = (async () => {
    for await (const chunk of r.body ?? []) {
      if (req.destroyed || req.writableEnded) return;
      sent += chunk.length;
      if (!req.write(chunk)) await drained(req);
    }
    // A declared length the body did not reach stays open: the server must answer without it.
    if (!req.destroyed && (r.contentLength === undefined || r.contentLength <= sent)) req.end();
  })();
  return answer
    .then(async (res) => {
      await upload;
      return { ...res, sent };
    })
    .finally(() => {
      clearTimeout(timer);
      req.destroy();
    });
}

function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    // 'close' too: a socket the server closed never drains.
    const done = () => {
      req.off('drain', done).off('close', done);
      resolve();
    };
    req.on('drain', done).on('close', done);
  });
}

/** `total` bytes of `fill`, in 64 KiB chunks, made as they are asked for. */
export function* bytes(total: number, fill = 'a'): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  for (let left = total; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}
