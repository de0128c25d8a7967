import http from 'node:http';

// A closed-loop load generator: `concurrency` callers, each sending its next request as soon
// as the previous one is answered, over kept-alive connections. Raw http.request with a
// pre-serialized body costs far less CPU per request than fetch on Node 20, so the generator
// stays out of the way of the server it measures.

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

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const targets = (typeof o.url === 'string' ? [o.url] : o.url).map((u) => new URL(u));
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency, maxFreeSockets: o.concurrency });
  const headers = { ...o.headers, 'content-length': String(o.body.length) };
  const latencies = new Float64Array(o.requests);
  let issued = 0;
  let done = 0;

  const once = (target: URL) =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request({ host: target.hostname, port: target.port, path: o.path, method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== o.expectStatus) {
            return reject(new Error(`POST ${o.path} answered ${res.statusCode}, not ${o.expectStatus}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`));
          }
          latencies[done++] = performance.now() - t0;
          resolve();
        });
        res.on('error', reject);
      });
      req.setTimeout(o.timeoutMs ?? 60_000, () => req.destroy(new Error(`POST ${o.path} had no answer within ${o.timeoutMs ?? 60_000} ms`)));
      req.on('error', reject);
      req.end(o.body);
    });

  let failed: unknown = null;
  const caller = async () => {
    while (failed === null && issued < o.requests) {
      const target = targets[issued++ % targets.length]!;
      try {
        await once(target);
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
    agent.destroy();
  }
  if (failed !== null) throw failed;
  return { startedAt, finishedAt: performance.now(), latencies };
}
