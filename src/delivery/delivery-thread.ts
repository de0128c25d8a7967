import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, workerData } from 'node:worker_threads';
import { type OutgoingMail, renderMessage } from '../mail/compose.js';
import { leftGarbage } from '../threads/large-garbage.js';
import { serveRequests } from '../threads/pool.js';
import { DeliveryError } from './classify.js';
import { createTransport, type Envelope, type TransportOptions } from './transport.js';

// A delivery thread (see deliverer.ts): composes, signs and sends messages so that the main
// thread (HTTP, SMTP in, the database) keeps its core. Each request is answered with the
// receiving server's reply or the error's SMTP facts, as data; the main thread classifies them.

export interface DeliverRequest {
  id: string;
  mail: OutgoingMail;
  envelope: Envelope;
}

export type DeliverResponse =
  | { ok: true; response: string }
  | { ok: false; error: { permanent?: boolean; responseCode?: number; response?: string; code?: string; command?: string; message: string } };

/**
 * Delivery is background work; accepting sends and mail is what callers wait on. On Linux a
 * thread has its own nice value, so this thread yields the cores to the main thread when both
 * want them and uses them fully when the main thread is idle. Elsewhere (or without
 * /proc/thread-self) it keeps the process's priority.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: the default priority is fine
  }
}

if (!isMainThread) {
  lowerPriority();
  const transport = createTransport(workerData as TransportOptions);
  serveRequests(
    (req: DeliverRequest): Promise<DeliverResponse> =>
      Promise.resolve()
        .then(() => transport.send(req.envelope, renderMessage(req.mail), req.id))
        .finally(() => leftGarbage((req.mail.text?.length ?? 0) + (req.mail.html?.length ?? 0)))
        .then(
          (response): DeliverResponse => ({ ok: true, response }),
          (err: unknown): DeliverResponse => {
            const e = err as { responseCode?: number; response?: string; code?: string; command?: string; message?: string };
            return {
              ok: false,
              error: {
                ...(err instanceof DeliveryError ? { permanent: err.permanent } : {}),
                responseCode: e.responseCode,
                response: e.response,
                code: e.code,
                command: e.command,
                message: e.message ?? String(err),
              },
            };
          },
        ),
    () => transport.close(),
  );
}
