import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';

// Every cache is bounded: a client naming 100,000 distinct unknown recipient domains (relay
// probing) leaves the heap where 10,000 left it. Each lookup is remembered, for a while and up
// to a count, never for every domain ever named.

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});

/** RCPT TO for `count` distinct unknown domains on one session, pipelined in batches. */
async function probe(from: number, count: number): Promise<number> {
  const socket = net.connect({ port: svc.running.smtpPort, host: '127.0.0.1' });
  socket.setEncoding('latin1');
  let buffer = '';
  let waiting: { need: number; resolve(lines: string[]): void } | null = null;
  const lines: string[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\r\n');
    buffer = parts.pop()!;
    // Only final lines of replies count (a space after the code).
    lines.push(...parts.filter((l) => /^\d{3} /.test(l)));
    if (waiting && lines.length >= waiting.need) {
      const w = waiting;
      waiting = null;
      w.resolve(lines.splice(0, w.need));
    }
  });
  const replies = (need: number) =>
    new Promise<string[]>((resolve) => {
      if (lines.length >= need) resolve(lines.splice(0, need));
      else waiting = { need, resolve };
    });
  await replies(1); // greeting
  socket.write('EHLO prober.example.com\r\nMAIL FROM:<prober@example.com>\r\n');
  await replies(2);
  let refused = 0;
  const BATCH = 1_000;
  for (let i = from; i < from + count; i += BATCH) {
    const n = Math.min(BATCH, from + count - i);
    socket.write(Array.from({ length: n }, (_, k) => `RCPT TO:<someone@relay-probe-${i + k}-a-long-enough-label.unknown-domain.example.com>\r\n`).join(''));
    refused += (await replies(n)).filter((l) => l.startsWith('550')).length;
  }
  socket.end('QUIT\r\n');
  return refused;
}

describe('caches under relay probing', { timeout: 180_000 }, () => {
  it('keeps the heap flat while 100,000 distinct unknown domains are named', async () => {
    expect(await probe(0, 10_000)).toBe(10_000);
    const before = heapAfterGc();
    expect(await probe(10_000, 90_000)).toBe(90_000);
    const after = heapAfterGc();
    const grownMb = (after - before) / 1e6;
    console.log(`heap after 10,000 domains ${(before / 1e6).toFixed(1)} MB, after 100,000 ${(after / 1e6).toFixed(1)} MB (${grownMb.toFixed(1)} MB more)`);
    // One remembered lookup costs a few hundred bytes: 90,000 more would be well over this.
    expect(grownMb).toBeLessThan(8);
  });
});
