import { createAuthService } from './auth/auth.service.js';
import { deriveKey } from './auth/secrets.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { createConversationsService } from './conversations/conversations.service.js';
import { TxBatcher } from './db/batcher.js';
import type { Dialect } from './db/open.js';
import type { Db } from './db/schema.js';
import { createDeliveryQueue } from './delivery/outbox.js';
import { createDomainsService } from './domains/domains.service.js';
import { createIdempotencyService } from './idempotency/idempotency.service.js';
import { deriveTokenKeys } from './mail/tokens.js';
import { createQueuesService } from './queues/queues.service.js';
import { createRateLimitService } from './ratelimit/ratelimit.service.js';
import { createSendService } from './send/send.service.js';

export type Services = ReturnType<typeof createServices>;

/** Wires every service from the database, the clock and the secret. No I/O happens here. */
export function createServices(deps: { db: Db; dialect: Dialect; clock: Clock; config: Config; secret: Buffer }) {
  const { db, clock, config, secret } = deps;
  const batcher = new TxBatcher(db);
  const keys = deriveTokenKeys(secret);
  const auth = createAuthService({ db, clock, tokenKey: deriveKey(secret, 'threadline access-token v1'), defaultRateLimitPerMinute: config.defaultRateLimitPerMinute });
  const queues = createQueuesService({ db, clock });
  const domains = createDomainsService({ db, clock, queues });
  const conversations = createConversationsService({ db, clock });
  const rateLimit = createRateLimitService({ clock });
  const idempotency = createIdempotencyService({ clock });
  const deliveryQueue = createDeliveryQueue(clock);
  const send = createSendService({ batcher, clock, keys, auth, conversations, domains, rateLimit, idempotency, delivery: deliveryQueue });
  return { batcher, keys, auth, queues, domains, conversations, rateLimit, idempotency, deliveryQueue, send };
}
