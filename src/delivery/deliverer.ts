import { fileURLToPath } from 'node:url';
import { type OutgoingMail, renderMessage } from '../mail/compose.js';
import { builtModule, threadPool } from '../threads/pool.js';
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
  return Object.assign(new Error(e.message), { responseCode: e.responseCode, response: e.response, code: e.code, command: e.command });
}

/**
 * DKIM signing (an RSA-2048 signature), composing the message and the SMTP
 * exchange cost more CPU than accepting the send; in threads of their own (at a lower priority,
 * delivery-thread.ts) they use whatever the main thread leaves of every core. Each thread has its
 * own SMTP pool, a share of `connections`, and starts only once the threads before it are busy.
 * Only the compiled build has the thread's file; from TypeScript sources (tests) this returns
 * null and the caller delivers in-line.
 */
export function threadDeliverer(opts: TransportOptions, threads: number): Deliverer | null {
  const file = builtModule(fileURLToPath(new URL('./delivery-thread.js', import.meta.url)));
  if (!file) return null;
  const perThread: TransportOptions = { ...opts, connections: Math.max(1, Math.ceil(opts.connections / threads)) };
  // A second thread starts once the first has all its connections busy: a trickle of mail, or
  // large messages sent a few at a time within their budget, keep to one thread's memory.
  const pool = threadPool<DeliverRequest, DeliverResponse>(file, threads, perThread, { growAt: perThread.connections });
  return {
    // Large messages reach this within the worker's budget (bodies.ts).
    async deliver(mail, envelope, id) {
      // A thread that died fails its messages with ETHREAD: deferred, tried again, never lost.
      const r = await pool.run({ id, mail, envelope });
      if (r.ok) return r.response;
      throw toError(r.error);
    },
    close: () => pool.close(),
  };
}
