import net from 'node:net';

// A closed-loop load generator: `concurrency` callers, each sending its next request as soon
// as the previous one is answered, over kept-alive HTTP/1.1 connections. Like wrk, it writes
// one pre-built request per call and reads just the status line, Content-Length (or chunked
// framing) and body of each answer: about a fifth of the CPU of http.request (and far less
// than fetch on Node 20), CPU that the server under test would otherwise not have.

export interface LoadOptions {
  /** Several: requests go to them in turn (round-robin), e.g. to instances behind no balancer. */
  url: string | readonly string[];
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  requests: number;
  concurrency: number;
  expectStatus: number;
  timeoutMs?: number;
  /** Called once, with the time the first request went out (performance.now()). */
  onFirstSend?: (at: number) => void;
}

export interface LoadResult {
  startedAt: number;
  finishedAt: number;
  /** Milliseconds per request, in completion order. */
  latencies: Float64Array;
}

interface Answer {
  status: number;
  body: Buffer;
  close: boolean;
}

/**
 * Node's HTTP server closes a kept-alive connection idle for 5 s (keepAliveTimeout). A request
 * written as it does is lost with the connection; a connection idle nearly that long is replaced
 * first. Idle that long happens with several targets on a loaded machine: a caller's connection
 * to one waits while its request to another is slow.
 */
const IDLE_REUSE_MS = 4_000;

/** One kept-alive connection; request() may be called again once the previous answer came. */
class Connection {
  private socket: net.Socket | null = null;
  private answeredAt = 0;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve(a: Answer): void; reject(e: Error): void } | null = null;

  constructor(
    private readonly target: URL,
    private readonly request: Buffer,
    private readonly timeoutMs: number,
  ) {}

  send(): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      if (this.socket && performance.now() - this.answeredAt > IDLE_REUSE_MS) this.close();
      this.socket ??= this.connect();
      const s = this.socket;
      s.setTimeout(this.timeoutMs);
      s.write(this.request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): net.Socket {
    const s = net.connect({ host: this.target.hostname, port: Number(this.target.port) });
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    const fail = (err: Error) => {
      if (this.socket !== s) return; // an earlier connection of this caller, closed on purpose
      this.socket = null;
      this.buf = Buffer.alloc(0);
      const w = this.waiting;
      this.waiting = null;
      w?.reject(err);
    };
    s.on('timeout', () => {
      s.destroy();
      fail(new Error(`POST had no answer within ${this.timeoutMs} ms`));
    });
    s.on('error', fail);
    s.on('close', () => fail(new Error('the server closed the connection')));
    return s;
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: Buffer;
    let rest: Buffer;
    if (length) {
      const total = end + 4 + Number(length[1]);
      if (this.buf.length < total) return;
      body = this.buf.subarray(end + 4, total);
      rest = this.buf.subarray(total);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = this.buf.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      body = this.buf.subarray(end + 4, last); // chunk framing left in: only shown on errors
      rest = this.buf.subarray(last + 7);
    } else {
      body = Buffer.alloc(0);
      rest = this.buf.subarray(end + 4);
    }
    this.buf = rest;
    this.answeredAt = performance.now();
    const w = this.waiting;
    this.waiting = null;
    w.resolve({ status, body, close: /\r\nconnection: *close/i.test(head) });
  }
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const targets = (typeof o.url === 'string' ? [o.url] : o.url).map((u) => new URL(u));
  const requestFor = (t: URL) =>
    Buffer.concat([
      Buffer.from(
        [`POST ${o.path} HTTP/1.1`, `host: ${t.host}`, ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${o.body.length}`, '', ''].join('\r\n'),
        'latin1',
      ),
      o.body,
    ]);
  const latencies = new Float64Array(o.requests);
  let issued = 0;
  let done = 0;
  let failed: unknown = null;
  const connections: Connection[] = [];

  const caller = async () => {
    // Each caller keeps one connection per target, as an HTTP agent with keep-alive would.
    const own = targets.map((t) => new Connection(t, requestFor(t), o.timeoutMs ?? 60_000));
    connections.push(...own);
    while (failed === null && issued < o.requests) {
      const which = issued++ % targets.length;
      const t0 = performance.now();
      try {
        const a = await own[which]!.send();
        if (a.status !== o.expectStatus) throw new Error(`POST ${o.path} answered ${a.status}, not ${o.expectStatus}: ${a.body.toString('utf8').slice(0, 500)}`);
        latencies[done++] = performance.now() - t0;
        if (a.close) own[which]!.close();
      } catch (err) {
        failed ??= err;
      }
    }
  };

  const startedAt = performance.now();
  o.onFirstSend?.(startedAt);
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.requests) }, caller));
  } finally {
    for (const c of connections) c.close();
  }
  if (failed !== null) throw failed;
  return { startedAt, finishedAt: performance.now(), latencies };
}
