import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { AppError } from '../errors.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { ErrorBodySchema, json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import { checkKey, requestHash } from '../idempotency/idempotency.service.js';
import type { Logger } from '../log.js';
import { domainOf } from '../mail/address.js';
import type { Metrics } from '../ops/metrics.js';
import { AgentlessEmailSendRequestSchema, AgentlessEmailSendResponseSchema } from './send.schema.js';
import type { SendService } from './send.service.js';

const PATH = '/api/v2/conversations/emails/agentless';

const route = createRoute({
  method: 'post',
  path: PATH,
  summary: 'Send an agentless email',
  description: 'Genesys-compatible. Durably queued before the 202; an `Idempotency-Key` header replays the first answer for 24 hours.',
  tags: ['Agentless email'],
  ...permit([PERMISSIONS.agentlessSend, PERMISSIONS.emailCreate], BODY_LIMITS.message),
  request: {
    headers: z.object({ 'idempotency-key': z.string().optional() }),
    body: jsonBody(AgentlessEmailSendRequestSchema),
  },
  responses: {
    202: json(AgentlessEmailSendResponseSchema, 'Accepted and queued for delivery.'),
    ...standardErrors,
    409: json(ErrorBodySchema, 'The Idempotency-Key was used with another body.'),
    429: json(ErrorBodySchema, 'The organization is over its per-minute limit; see Retry-After.'),
  },
});

export function sendRoutes(send: SendService, metrics: Metrics, log: Logger) {
  const r = newRouter();
  // Documented in full, validated without the header schema: zod-openapi's header validator
  // copies every request header into a web Headers object, and the one header is a plain string.
  const { middleware: _checks, ...documented } = route;
  r.openAPIRegistry.registerPath(documented);
  r.openapi({ ...route, hide: true, request: { body: route.request.body } }, async (c) => {
    const started = performance.now();
    const p = c.get('principal');
    const dto = c.req.valid('json');
    const key = c.req.header('idempotency-key');
    const idem = key === undefined ? null : { key: checkKey(key), hash: requestHash('POST', PATH, JSON.stringify(dto)) };
    try {
      const result = await send.send(p.orgId, dto, idem);
      const b = result.body;
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      else {
        metrics.acceptedTotal.inc();
        metrics.acceptSeconds.observe((performance.now() - started) / 1000);
      }
      // Checked first: the benchmarks run at warn, and the line's fields cost on every send.
      if (log.isLevelEnabled('info')) {
        log.info(
          {
            contextId: c.get('contextId'),
            orgId: p.orgId,
            messageId: b.id,
            conversationId: b.conversationId,
            fromDomain: domainOf(b.fromAddress.email),
            toDomain: domainOf(b.toAddresses[0]!.email),
            replayed: result.replayed,
          },
          result.replayed ? 'send replayed (Idempotency-Key)' : 'send accepted',
        );
      }
      return c.json(result.body, 202);
    } catch (err) {
      metrics.rejectedTotal.inc({ status: err instanceof AppError ? String(err.status) : '500' });
      throw err;
    }
  });
  return r;
}
