import { existsSync } from 'node:fs';
import { parentPort, Worker, type TransferListItem } from 'node:worker_threads';

// A small pool of worker threads that all run one module answering one kind of request: CPU
// work moved off the main thread (HTTP, SMTP, the database) onto the other cores. Each request
// goes to the thread with the fewest in flight. A thread that dies fails only its own requests
// (error code ETHREAD: the caller answers "try again later"), and the next request starts a
// fresh one. The thread's module calls serveRequests() with its handler.

const CLOSE_WAIT_MS = 10_000;
/** How long a thread may take to finish its own closing (QUIT on its SMTP sessions). */
const EXIT_WAIT_MS = 5_000;

type Reply<R> = { id: number; ok: true; value: R } | { id: number; ok: false; error: { message: string; code?: string } };

export interface ThreadPool<Q, R> {
  run(request: Q, transfer?: readonly TransferListItem[]): Promise<R>;
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
    run(request, transfer) {
      if (closing) return Promise.reject(Object.assign(new Error('threads are stopping'), { code: 'ESTOPPING' }));
      let best = slots[0]!;
      for (const s of slots) if (s.pending.size < best.pending.size) best = s;
      return best.run(request, transfer);
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}

function slot<Q, R>(file: string, workerData: unknown) {
  const pending = new Map<number, { resolve(v: R): void; reject(e: unknown): void }>();
  let worker: Worker | null = null;
  let nextId = 0;
  let drained: (() => void) | null = null;

  const settle = (id: number, fn: (p: { resolve(v: R): void; reject(e: unknown): void }) => void) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    fn(p);
    if (pending.size === 0) {
      worker?.unref();
      drained?.();
    }
  };

  const start = () => {
    const w = new Worker(file, { workerData });
    // An idle thread never keeps the process alive (run() refs it while requests are in flight).
    w.unref();
    w.on('message', (msg: Reply<R>) => settle(msg.id, (p) => (msg.ok ? p.resolve(msg.value) : p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code })))));
    const fail = (why: unknown) => {
      if (worker === w) worker = null;
      for (const id of [...pending.keys()]) settle(id, (p) => p.reject(Object.assign(new Error(`worker thread stopped: ${String(why)}`), { code: 'ETHREAD' })));
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(`exit ${code}`));
    return w;
  };

  return {
    pending,
    run(request: Q, transfer?: readonly TransferListItem[]) {
      worker ??= start();
      if (pending.size === 0) worker.ref();
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, request }, transfer);
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
export function serveRequests<Q, R>(handler: (request: Q) => Promise<R>, onClose?: () => void): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests() runs in a worker thread');
  port.on('message', (msg: { id: number; request: Q } | 'close') => {
    if (msg === 'close') {
      onClose?.();
      port.close();
      return;
    }
    const { id, request } = msg;
    handler(request).then(
      (value) => port.postMessage({ id, ok: true, value } satisfies Reply<R>),
      (err: unknown) => {
        const e = err as { message?: string; code?: unknown };
        port.postMessage({ id, ok: false, error: { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } } satisfies Reply<R>);
      },
    );
  });
}
