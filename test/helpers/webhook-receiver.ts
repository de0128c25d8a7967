import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../../src/clock.js';
import { atEnd } from './cleanup.js';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status this request was answered with (null: left unanswered). */
  status: number | null;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A webhook receiver on 127.0.0.1: records every request, answers as `answer` says (default 204). */
export async function startReceiver() {
  const requests: Received[] = [];
  let answer: (r: Received) => Answer = () => ({ status: 204 });
  let open = 0;
  let mostOpen = 0;
  const server = http.createServer((req, res) => {
    mostOpen = Math.max(mostOpen, ++open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: null };
      const a = answer(r);
      requests.push(r);
      if (a === 'hang') return;
      r.status = a.status;
      res.writeHead(a.status, a.headers);
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  atEnd(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    requests,
    answer(fn: (r: Received) => Answer) {
      answer = fn;
    },
    /** The most requests that were open at once (received and not yet answered or given up). */
    mostOpen: () => mostOpen,
    /** The events of the requests answered 2xx, in the order they came. */
    delivered: () => requests.filter((r) => r.status !== null && r.status < 300).map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> }),
  };
}

/**
 * What a receiver does: `Webhook.verify` of the standardwebhooks package. It compares the
 * timestamp with its own clock, so it is given the service's (a manual clock, moved by hours).
 */
export function verify(secret: string, r: Received, clock: Clock): unknown {
  const realNow = Date.now;
  Date.now = () => clock.now();
  try {
    return new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
  } finally {
    Date.now = realNow;
  }
}
