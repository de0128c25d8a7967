import { existsSync } from 'node:fs';
import { parentPort, type TransferListItem, Worker } from 'node:worker_threads';

// A small pool of worker threads that all run one module answering one kind of request: CPU
// work moved off the main thread (HTTP, SMTP, the database) onto the other cores. Each request
// goes to the thread with the fewest in flight. A thread that dies fails only its own requests
// (error code ETHREAD: the caller answers "try again later"), and the next request starts a
// fresh one. The thread's module calls serveRequests() with its handler.
//
// A busy thread beats every HEARTBEAT_MS. One that has missed a few is stuck in synchronous
// work (waiting for DNS or a socket never stops the beat), and new requests go to the other
// threads meanwhile. Synchronous work cannot be interrupted inside its thread, so a thread stuck
// for longer than `stuckLimitMs` is ended: the request it was working on (the last to report a
// stage) fails with ETIMEDOUT, naming that stage; its other requests fail with EABORTED, for
// their callers to send again.

const CLOSE_WAIT_MS = 10_000;
/** How long a thread may take to finish its own closing (QUIT on its SMTP sessions). */
const EXIT_WAIT_MS = 5_000;
const HEARTBEAT_MS = 50;
const STUCK_MS = 4 * HEARTBEAT_MS;

type Reply<R> = { id: number; ok: true; value: R } | { id: number; ok: false; error: { message: string; code?: string } } | { id: number; stage: string } | 'beat' | 'ready';

export interface RunOptions {
  transfer?: readonly TransferListItem[];
}

export interface PoolOptions {
  /** Start every thread now, and again as soon as it is ended: no request waits for one to load. */
  warm?: boolean;
  /** How long a thread may stay stuck in synchronous work before it is ended. */
  stuckLimitMs?: number;
  /** The threads' young generation, when their requests allocate more than THREAD_LIMITS allows for. */
  youngGenerationMb?: number;
  /**
   * Another thread starts only once every running one has this many requests in flight (or is
   * stuck): a light load keeps to fewer threads, each a V8 heap of tens of MB. Default 1.
   */
  growAt?: number;
}

/**
 * Each thread is a V8 heap of its own, and V8 sizes a heap's young generation for throughput,
 * not for several heaps in one process: a few MB are plenty for the short-lived objects of one
 * request at a time, and each thread then takes tens of MB less, idle and busy.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;

export interface ThreadPool<Q, R> {
  run(request: Q, options?: RunOptions): Promise<R>;
  /** Resolves once every thread has started and warmed up (serveRequests' `warmUp`). */
  ready(): Promise<void>;
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

export function threadPool<Q, R>(file: string, threads: number, workerData: unknown, opts: PoolOptions = {}): ThreadPool<Q, R> {
  const slots = Array.from({ length: Math.max(1, threads) }, () => slot<Q, R>(file, workerData, opts));
  let closing = false;
  return {
    run(request, options = {}) {
      if (closing) return Promise.reject(Object.assign(new Error('threads are stopping'), { code: 'ESTOPPING' }));
      const now = performance.now();
      const running = slots.filter((s) => s.running());
      const free = running.filter((s) => !s.stuck(now));
      let best = free[0];
      for (const s of free) if (s.pending.size < best!.pending.size) best = s;
      const idle = slots.find((s) => !s.running());
      if (idle && (!best || best.pending.size >= (opts.growAt ?? 1))) best = idle;
      // Every thread stuck: the one with the fewest requests still gets this one.
      if (!best) for (const s of running) if (!best || s.pending.size < best.pending.size) best = s;
      return best!.run(request, options);
    },
    ready: () => Promise.all(slots.map((s) => s.ready())).then(() => {}),
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}

type Pending<R> = { worker: Worker; resolve(v: R): void; reject(e: unknown): void; stage?: string };

const failure = (code: string | undefined, message: string, more: object = {}) => Object.assign(new Error(message), { ...(code === undefined ? {} : { code }), ...more });

function slot<Q, R>(file: string, workerData: unknown, { warm = false, stuckLimitMs, youngGenerationMb }: PoolOptions) {
  const resourceLimits = youngGenerationMb === undefined ? THREAD_LIMITS : { ...THREAD_LIMITS, maxYoungGenerationSizeMb: youngGenerationMb };
  const pending = new Map<number, Pending<R>>();
  let worker: Worker | null = null;
  let nextId = 0;
  let drained: (() => void) | null = null;
  let lastHeard = 0;
  /** The request that last reported a stage: the one a stuck thread is working on. */
  let lastStaged = -1;
  let watchdog: NodeJS.Timeout | null = null;
  /** Threads that have loaded their module: one still loading (seconds, on a busy machine) is not stuck. */
  const heard = new WeakSet<Worker>();
  let closing = false;
  const readiness = new WeakMap<Worker, { promise: Promise<void>; resolve(): void }>();
  /** Threads being ended for one request's time limit, and so why their other requests fail. */
  const aborted = new WeakMap<Worker, string>();

  const settle = (id: number, fn: (p: Pending<R>) => void) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    fn(p);
    if (![...pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
    if (pending.size === 0) {
      if (watchdog) clearInterval(watchdog);
      watchdog = null;
      drained?.();
    }
  };

  const start = () => {
    const w = new Worker(file, { workerData, resourceLimits });
    // An idle thread never keeps the process alive (run() refs it while requests are in flight).
    w.unref();
    let resolve!: () => void;
    readiness.set(w, { promise: new Promise<void>((r) => (resolve = r)), resolve });
    w.on('message', (msg: Reply<R>) => {
      lastHeard = performance.now();
      heard.add(w);
      if (msg === 'ready') return resolve();
      if (msg === 'beat') return;
      if ('stage' in msg) {
        const p = pending.get(msg.id);
        if (p) p.stage = msg.stage;
        lastStaged = msg.id;
        return;
      }
      settle(msg.id, (p) => (msg.ok ? p.resolve(msg.value) : p.reject(failure(msg.error.code, msg.error.message))));
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
    w.on('exit', (code) => {
      fail(`exit ${code}`);
      // Not warm, but not warming any more either: the next request starts a fresh thread.
      readiness.get(w)?.resolve();
      // Only a thread we ended is replaced at once: one that failed by itself could fail again.
      if (warm && !closing && worker === null && aborted.has(w)) worker = start();
    });
    return w;
  };

  /** Ends the current thread, stuck past the limit, and fails the request it was working on. */
  const stop = (limitMs: number) => {
    const w = worker;
    if (!w || !heard.has(w)) return;
    const mine = [...pending].filter(([, p]) => p.worker === w);
    const [id, p] = mine.find(([i]) => i === lastStaged) ?? mine[0] ?? [];
    if (p === undefined || id === undefined) return;
    const stage = p.stage ?? 'unknown';
    settle(id, (q) => q.reject(failure('ETIMEDOUT', `${stage} kept its thread busy past the time limit of ${limitMs} ms`, { stage })));
    aborted.set(w, `another request kept it busy past the time limit in ${stage}`);
    worker = null;
    void w.terminate();
  };

  if (warm) worker = start();

  return {
    pending,
    /** Its thread started (and not ended since). */
    running: () => worker !== null,
    /** Busy, and silent for longer than a thread that is only waiting ever is. */
    stuck: (now: number) => pending.size > 0 && worker !== null && heard.has(worker) && now - lastHeard > STUCK_MS,
    ready: () => {
      worker ??= start();
      return readiness.get(worker)!.promise;
    },
    run(request: Q, opts: RunOptions) {
      worker ??= start();
      const w = worker;
      w.ref();
      if (pending.size === 0) lastHeard = performance.now();
      if (stuckLimitMs !== undefined && !watchdog) {
        watchdog = setInterval(() => performance.now() - lastHeard > stuckLimitMs && stop(stuckLimitMs), HEARTBEAT_MS).unref();
      }
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        const p: Pending<R> = { worker: w, resolve, reject };
        pending.set(id, p);
        w.postMessage({ id, request }, opts.transfer);
      });
    },
    async close() {
      closing = true;
      // A request stuck for longer (a DNS server that never answers) is failed by the terminate.
      if (pending.size > 0) {
        await new Promise<void>((r) => {
          drained = r;
          setTimeout(r, CLOSE_WAIT_MS).unref();
        });
      }
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
 * `warmUp`: work done once before the thread says it is ready (requests may come before).
 */
export function serveRequests<Q, R>(handler: (request: Q, stage: (name: string) => void) => Promise<R>, onClose?: () => void, warmUp?: () => Promise<unknown>): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests() runs in a worker thread');
  void Promise.resolve(warmUp?.())
    .catch(() => {})
    .then(() => port.postMessage('ready' satisfies Reply<R>));
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
