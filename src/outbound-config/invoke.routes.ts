import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { ErrorBodySchema, json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import { checkKey, requestHash } from '../idempotency/idempotency.service.js';
import { configurationTags } from './configurations.routes.js';
import { ContactSchema, MAX_CONTACTS } from './contacts.js';
import type { InvokeService } from './invoke.service.js';

const ResultSchema = z
  .object({
    tocontactid: z.string(),
    status: z.enum(['queued', 'skipped']),
    messageId: z.string().optional(),
    conversationId: z.string().optional(),
    reason: z.string().optional().openapi({ description: 'Why a contact was skipped: no opt-in, invalid address, missing values, invalid content, suppressed.' }),
    missing: z.array(z.string()).optional().openapi({ description: 'With "missing values": the placeholders without a value.' }),
  })
  .openapi('OutboundContactResult');

const route = createRoute({
  method: 'post',
  path: '/api/v2/outbound/configurations/{configurationId}/invoke',
  summary: "Send a configuration's template to a contact list",
  description: `Up to ${MAX_CONTACTS} contacts, in one transaction: every queued contact is recorded, or none. One result per contact, in order. An \`Idempotency-Key\` header replays the first answer for 24 hours.`,
  tags: configurationTags,
  ...permit([PERMISSIONS.outboundConfigurationInvoke], BODY_LIMITS.template),
  request: {
    params: z.object({ configurationId: z.string().max(100) }),
    headers: z.object({ 'idempotency-key': z.string().optional() }),
    body: jsonBody(
      z
        .object({ contactList: z.array(ContactSchema).openapi({ description: `1 to ${MAX_CONTACTS} contacts.` }) })
        .strict()
        .openapi('OutboundInvokeRequest'),
    ),
  },
  responses: {
    202: json(z.object({ results: z.array(ResultSchema) }).openapi('OutboundInvokeResponse'), 'Accepted: the queued contacts are durably queued for delivery.'),
    ...standardErrors,
    409: json(ErrorBodySchema, 'The Idempotency-Key was used with another body.'),
    429: json(ErrorBodySchema, 'The organization is over its hourly invocations or its per-minute send limit; see Retry-After.'),
  },
});

export function invokeRoutes(invoke: InvokeService) {
  const r = newRouter();
  // As on the send route: documented with its header, validated without the header schema.
  const { middleware: _checks, ...documented } = route;
  r.openAPIRegistry.registerPath(documented);
  r.openapi({ ...route, hide: true, request: { params: route.request.params, body: route.request.body } }, async (c) => {
    const { configurationId } = c.req.valid('param');
    const dto = c.req.valid('json');
    const key = c.req.header('idempotency-key');
    const idem = key === undefined ? null : { key: checkKey(key), hash: requestHash('POST', c.req.path, JSON.stringify(dto)) };
    const result = await invoke.invoke(c.get('principal').orgId, configurationId, dto.contactList, idem);
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body, 202);
  });
  return r;
}
