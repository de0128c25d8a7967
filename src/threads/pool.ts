import { existsSync } from 'node:fs';
import { parentPort, Worker, type TransferListItem } from 'node:worker_threads';

// A small pool of worker threads that all run one module answering one kind of request: CPU
// work moved off the main thread (HTTP, SMTP, the database) onto the other cores. Each request
// goes to the thread with the fewest in flight. A thread that dies fails only its own requests
// (error code ETHREAD: the caller answers "try again later"), and the next request starts a
// fresh one. The thread's module calls serveRequests() with its handler.
//
// A request may carry a time limit. Synchronous work cannot be interrupted inside its thread, so
// a request past its limit ends the whole thread: it fails with ETIMEDOUT (naming the stage the
// handler last reported), the other requests of that thread with EABORTED (theirs to retry).
// A busy thread beats every HEARTBEAT_MS; one that has missed a few is stuck in synchronous
// work, and new requests go to the other threads meanwhile.

const CLOSE_WAIT_MS = 10_000;
/** How long a thread may take to finish its own closing (QUIT on its SMTP sessions). */
const EXIT_WAIT_MS = 5_000;
const HEARTBEAT_MS = 50;
const STUCK_MS = 4 * HEARTBEAT_MS;

type Reply<R> = { id: number; ok: true; value: R } | { id: number; ok: false; error: { message: string; code?: string } } | { id: number; stage: string } | 'beat';

export interface RunOptions {
  transfer?: readonly TransferListItem[];
  /** Past this the thread is ended and the request fails with ETIMEDOUT. */
  timeoutMs?: number;
}

export interface ThreadPool<Q, R> {
  run(request: Q, options?: RunOptions): Promise<R>;
  /** Lets the requests in flight finish, then ends the threads. */
  close(): Promise<void>;
}

/**
 * `file` when it is a built thread module that exists; null from TypeScript sources (vitest),
 * where only the `.ts` file is there and callers do their work in-line instead.
 */
export function builtModule(file: string): string | null {
  return /\.m?js$/.test(file) && existsSync(file) ? file : null;
}

export function threadPool<Q, R>(file: string, threads: number, workerData: unknown): ThreadPool<Q, R> {
  const slots = Array.from({ length: Math.max(1, threads) }, () => slot<Q, R>(file, workerData));
  let closing = false;
  return {
    run(request, options = {}) {
      if (closing) return Promise.reject(Object.assign(new Error('threads are stopping'), { code: 'ESTOPPING' }));
      const now = performance.now();
      const free = slots.filter((s) => !s.stuck(now));
      let best = (free.length ? free : slots)[0]!;
      for (const s of free.length ? free : slots) if (s.pending.size < best.pending.size) best = s;
      return best.run(request, options);
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}

type Pending<R> = { worker: Worker; resolve(v: R): void; reject(e: unknown): void; stage?: string; timer?: NodeJS.Timeout };

const failure = (code: string, message: string, more: object = {}) => Object.assign(new Error(message), { code, ...more });

function slot<Q, R>(file: string, workerData: unknown) {
  const pending = new Map<number, Pending<R>>();
  let worker: Worker | null = null;
  let nextId = 0;
  let drained: (() => void) | null = null;
  let lastHeard = 0;
  /** Threads being ended for one request's time limit, and so why their other requests fail. */
  const aborted = new WeakMap<Worker, string>();

  const settle = (id: number, fn: (p: Pending<R>) => void) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
    if (![...pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
    if (pending.size === 0) drained?.();
  };

  const start = () => {
    const w = new Worker(file, { workerData });
    // An idle thread never keeps the process alive (run() refs it while requests are in flight).
    w.unref();
    w.on('message', (msg: Reply<R>) => {
      lastHeard = performance.now();
      if (msg === 'beat') return;
      if ('stage' in msg) {
        const p = pending.get(msg.id);
        if (p) p.stage = msg.stage;
        return;
      }
      settle(msg.id, (p) => (msg.ok ? p.resolve(msg.value) : p.reject(failure(msg.error.code ?? '', msg.error.message))));
    });
    const fail = (why: unknown) => {
      if (worker === w) worker = null;
      const cause = aborted.get(w);
      for (const [id, p] of [...pending]) {
        // Requests already sent to the thread started in its place are not this one's.
        if (p.worker === w) settle(id, (q) => q.reject(cause ? failure('EABORTED', `worker thread ended: ${cause}`) : failure('ETHREAD', `worker thread stopped: ${String(why)}`)));
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(`exit ${code}`));
    return w;
  };

  /** Ends the thread for the request `id` that ran past its limit. */
  const timedOut = (id: number, w: Worker, limitMs: number) => {
    const p = pending.get(id);
    if (!p || worker !== w) return;
    const stage = p.stage ?? 'unknown';
    settle(id, (q) => q.reject(failure('ETIMEDOUT', `${stage} ran past the time limit of ${limitMs} ms`, { stage })));
    aborted.set(w, `another request ran past its time limit in ${stage}`);
    worker = null;
    void w.terminate();
  };

  return {
    pending,
    /** Busy, and silent for longer than a thread that is only waiting ever is. */
    stuck: (now: number) => pending.size > 0 && now - lastHeard > STUCK_MS,
    run(request: Q, opts: RunOptions) {
      const w = (worker ??= start());
      w.ref();
      if (pending.size === 0) lastHeard = performance.now();
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        const p: Pending<R> = { worker: w, resolve, reject };
        if (opts.timeoutMs !== undefined) p.timer = setTimeout(() => timedOut(id, w, opts.timeoutMs!), opts.timeoutMs).unref();
        pending.set(id, p);
        w.postMessage({ id, request }, opts.transfer);
      });
    },
    async close() {
      // A request stuck for longer (a DNS server that never answers) is failed by the terminate.
      if (pending.size > 0) await new Promise<void>((r) => ((drained = r), setTimeout(r, CLOSE_WAIT_MS).unref()));
      const w = worker;
      if (!w) return;
      // The thread closes what it holds (serveRequests' onClose) and exits by itself; one that
      // does not within EXIT_WAIT_MS is terminated.
      w.ref();
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.postMessage('close');
      const timer = setTimeout(() => void w.terminate(), EXIT_WAIT_MS);
      await exited;
      clearTimeout(timer);
      worker = null;
    },
  };
}

/**
 * The thread's side: answers each request with the handler's result or error. When the pool
 * closes, `onClose` runs and the thread stops listening, so it exits once nothing else holds it.
 */
export function serveRequests<Q, R>(handler: (request: Q, stage: (name: string) => void) => Promise<R>, onClose?: () => void): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests() runs in a worker thread');
  let inFlight = 0;
  let heartbeat: NodeJS.Timeout | null = null;
  const done = () => {
    if (--inFlight > 0 || !heartbeat) return;
    clearInterval(heartbeat);
    heartbeat = null;
  };
  port.on('message', (msg: { id: number; request: Q } | 'close') => {
    if (msg === 'close') {
      onClose?.();
      port.close();
      return;
    }
    const { id, request } = msg;
    if (inFlight++ === 0) heartbeat = setInterval(() => port.postMessage('beat' satisfies Reply<R>), HEARTBEAT_MS);
    // A message posted here reaches the pool even while this thread then blocks.
    const stage = (name: string) => port.postMessage({ id, stage: name } satisfies Reply<R>);
    Promise.resolve()
      .then(() => handler(request, stage))
      .then(
        (value) => port.postMessage({ id, ok: true, value } satisfies Reply<R>),
        (err: unknown) => {
          const e = err as { message?: string; code?: unknown };
          port.postMessage({ id, ok: false, error: { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } } satisfies Reply<R>);
        },
      )
      .finally(done);
  });
}
