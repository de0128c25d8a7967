import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { renderMessage, type OutgoingMail } from '../mail/compose.js';
import { DeliveryError } from './classify.js';
import type { DeliverRequest, DeliverResponse } from './delivery-thread.js';
import type { Envelope, Transport, TransportOptions } from './transport.js';

/** Renders and sends one message; resolves with the receiving server's reply. */
export interface Deliverer {
  deliver(mail: OutgoingMail, envelope: Envelope, messageId: string): Promise<string>;
  close(): Promise<void>;
}

export function inlineDeliverer(transport: Transport): Deliverer {
  return {
    deliver: async (mail, envelope, id) => transport.send(envelope, renderMessage(mail), id),
    close: async () => transport.close(),
  };
}

function toError(e: Extract<DeliverResponse, { ok: false }>['error']): Error {
  if (e.permanent !== undefined) return new DeliveryError(e.permanent, e.response ?? e.message);
  return Object.assign(new Error(e.message), { responseCode: e.responseCode, response: e.response, code: e.code });
}

/**
 * DKIM signing (an RSA-2048 signature is about 1 ms of CPU), composing the message and the SMTP
 * exchange cost more CPU than accepting the send; in threads of their own (at a lower priority,
 * delivery-thread.ts) they use whatever the main thread leaves of every core. Each message goes
 * to the thread with the fewest in flight; each thread
 * has its own SMTP pool. Only the compiled build has the thread's file; from TypeScript sources
 * (tests) this returns null and the caller delivers in-line.
 */
export function threadDeliverer(opts: TransportOptions, threads: number): Deliverer | null {
  const file = fileURLToPath(new URL('./delivery-thread.js', import.meta.url));
  if (!import.meta.url.endsWith('.js') || !existsSync(file)) return null;
  // A pool of `connections` split over the threads, at least one each.
  const perThread = { ...opts, connections: Math.max(1, Math.ceil(opts.connections / threads)) };
  const slots = Array.from({ length: threads }, () => threadSlot(file, perThread));
  let closing = false;
  return {
    deliver(mail, envelope, id) {
      if (closing) return Promise.reject(Object.assign(new Error('delivery is stopping'), { code: 'ESTOPPING' }));
      let best = slots[0]!;
      for (const s of slots) if (s.pending.size < best.pending.size) best = s;
      return best.deliver(mail, envelope, id);
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}

function threadSlot(file: string, opts: TransportOptions) {
  const pending = new Map<string, { resolve(r: string): void; reject(e: unknown): void }>();
  let worker: Worker | null = null;

  const start = () => {
    const w = new Worker(file, { workerData: opts });
    w.unref();
    w.on('message', (msg: DeliverResponse) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.response);
      else p.reject(toError(msg.error));
    });
    const fail = (err: unknown) => {
      if (worker === w) worker = null;
      // Messages in flight are retried later (deferred), never lost.
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(Object.assign(new Error(`delivery thread stopped: ${String(err)}`), { code: 'ETHREAD' }));
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(`exit ${code}`));
    return w;
  };

  return {
    pending,
    deliver(mail: OutgoingMail, envelope: Envelope, id: string) {
      worker ??= start();
      return new Promise<string>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, mail, envelope } satisfies DeliverRequest);
      });
    },
    async close() {
      const w = worker;
      if (!w) return;
      await new Promise<void>((resolve) => {
        w.ref(); // keep the process alive until the thread has closed its connections
        w.once('exit', () => resolve());
        w.postMessage('close');
        // The pooled SMTP connections close gracefully; do not wait on a stuck server for ever.
        setTimeout(() => void w.terminate(), 5_000).unref();
      });
    },
  };
}
