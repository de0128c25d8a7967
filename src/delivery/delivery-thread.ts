import { parentPort, workerData } from 'node:worker_threads';
import { renderMessage, type OutgoingMail } from '../mail/compose.js';
import { DeliveryError } from './classify.js';
import { createTransport, type Envelope, type TransportOptions } from './transport.js';

// The delivery thread: renders and sends messages so that the main thread (HTTP, SMTP in,
// the database) keeps its core. Each request is answered with the receiving server's reply or
// the error's SMTP facts; the main thread classifies them.

export interface DeliverRequest {
  id: string;
  mail: OutgoingMail;
  envelope: Envelope;
}

export type DeliverResponse =
  | { id: string; ok: true; response: string }
  | { id: string; ok: false; error: { permanent?: boolean; responseCode?: number; response?: string; code?: string; message: string } };

if (parentPort) {
  const port = parentPort;
  const transport = createTransport(workerData as TransportOptions);
  port.on('message', (msg: DeliverRequest | 'close') => {
    if (msg === 'close') {
      transport.close();
      port.close();
      return;
    }
    Promise.resolve()
      .then(() => transport.send(msg.envelope, renderMessage(msg.mail), msg.id))
      .then(
        (response) => port.postMessage({ id: msg.id, ok: true, response } satisfies DeliverResponse),
        (err: unknown) => {
          const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
          port.postMessage({
            id: msg.id,
            ok: false,
            error: {
              ...(err instanceof DeliveryError ? { permanent: err.permanent } : {}),
              responseCode: e.responseCode,
              response: e.response,
              code: e.code,
              message: e.message ?? String(err),
            },
          } satisfies DeliverResponse);
        },
      );
  });
}
