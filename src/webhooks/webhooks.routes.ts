import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { pageOf } from '../conversations/conversations.views.js';
import { EVENT_TYPES } from '../events/events.views.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { WebhooksService } from './webhooks.service.js';

const tags = ['Webhooks'];
export const WEBHOOK_EDIT = [PERMISSIONS.webhookEdit];
export const WEBHOOK_VIEW = [PERMISSIONS.webhookView, ...WEBHOOK_EDIT];
const params = z.object({ id: z.string().max(100) });
const eventTypes = z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length);

const Webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()).nullable().openapi({ description: 'null: every type.' }),
    description: z.string().optional(),
    enabled: z.boolean(),
    disabledReason: z.string().optional().openapi({ description: '`gone`: the receiver answered 410 and threadline disabled the webhook; enable it again with PATCH.' }),
    nextTryAt: z.string().optional().openapi({ description: 'When the event the webhook is stopped at (a failed try) is tried again.' }),
    previousSecretExpires: z.string().optional().openapi({ description: 'After a rotation: until when the previous secret still signs beside the new one.' }),
    dateCreated: z.string(),
    dateModified: z.string(),
    selfUri: z.string(),
  })
  .openapi('Webhook');
const WithSecret = Webhook.extend({ secret: z.string().openapi({ description: '`whsec_` and the key in base64: shown here only.' }) }).openapi('WebhookWithSecret');
const Attempt = z
  .object({
    eventId: z.string(),
    eventType: z.string(),
    try: z.number().int(),
    timestamp: z.string(),
    status: z.number().int().optional(),
    error: z.string().optional(),
    durationMs: z.number().int(),
    responseExcerpt: z.string().optional(),
    outcome: z.enum(['delivered', 'retrying', 'dead', 'disabled']),
  })
  .openapi('WebhookAttempt');

const url = z.string().min(1).max(2000).openapi({ description: 'http or https; its host must resolve to public addresses (unless THREADLINE_WEBHOOK_ALLOW_PRIVATE=true).' });
const description = z.string().max(500);
export const CreateWebhookBody = z.object({ url, eventTypes: eventTypes.optional(), description: description.optional() });
export const ReplayBody = z.object({
  eventId: z.string().max(100).optional(),
  since: z.string().datetime({ offset: true }).optional(),
  until: z.string().datetime({ offset: true }).optional(),
});

const create = createRoute({
  method: 'post',
  path: '/api/v2/webhooks',
  summary: 'Subscribe a URL to the organization’s events',
  description:
    'Each event of the chosen types (default: all) is POSTed to the URL, signed by the Standard Webhooks scheme with the `secret` in the answer, which is shown only here and on rotation.',
  tags,
  ...permit(WEBHOOK_EDIT),
  request: { body: jsonBody(CreateWebhookBody) },
  responses: { 201: json(WithSecret, 'The webhook and its secret.'), ...standardErrors },
});
const list = createRoute({
  method: 'get',
  path: '/api/v2/webhooks',
  summary: "The organization's webhooks",
  tags,
  ...permit(WEBHOOK_VIEW),
  responses: { 200: json(z.object({ entities: z.array(Webhook) }).openapi('WebhookListing'), 'Every webhook, oldest first.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: '/api/v2/webhooks/{id}',
  summary: 'A webhook',
  tags,
  ...permit(WEBHOOK_VIEW),
  request: { params },
  responses: { 200: json(Webhook, 'The webhook.'), ...standardErrors },
});
const patch = createRoute({
  method: 'patch',
  path: '/api/v2/webhooks/{id}',
  summary: 'Change a webhook',
  description: 'Enabling a webhook tries the event it stopped at now.',
  tags,
  ...permit(WEBHOOK_EDIT),
  request: {
    params,
    body: jsonBody(z.object({ url: url.optional(), eventTypes: eventTypes.nullable().optional(), description: description.nullable().optional(), enabled: z.boolean().optional() })),
  },
  responses: { 200: json(Webhook, 'The webhook.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v2/webhooks/{id}',
  summary: 'Remove a webhook',
  tags,
  ...permit(WEBHOOK_EDIT),
  request: { params },
  responses: { 204: { description: 'Removed.' }, ...standardErrors },
});
const rotate = createRoute({
  method: 'post',
  path: '/api/v2/webhooks/{id}/secret',
  summary: "Rotate a webhook's secret",
  description: 'A new secret, shown only here; for 24 hours the previous one signs beside it (`webhook-signature` carries both), so receivers can switch without losing events.',
  tags,
  ...permit(WEBHOOK_EDIT),
  request: { params },
  responses: { 200: json(WithSecret, 'The webhook and its new secret.'), ...standardErrors },
});
const attempts = createRoute({
  method: 'get',
  path: '/api/v2/webhooks/{id}/attempts',
  summary: "A webhook's delivery attempts, newest first",
  tags,
  ...permit(WEBHOOK_VIEW),
  request: {
    params,
    query: z.object({
      pageSize: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most 100; default 25.' }),
      pageNumber: z.coerce.number().int().min(1).optional(),
    }),
  },
  responses: {
    200: json(
      z
        .object({ entities: z.array(Attempt) })
        .passthrough()
        .openapi('WebhookAttemptListing'),
      'One page of attempts.',
    ),
    ...standardErrors,
  },
});
const replay = createRoute({
  method: 'post',
  path: '/api/v2/webhooks/{id}/replay',
  summary: 'Send events again',
  description: 'One event (`eventId`) or those of a time range (`since`, `until`, ISO 8601; at most 10,000), with their original `webhook-id`, before the webhook’s next new event.',
  tags,
  ...permit(WEBHOOK_EDIT),
  request: {
    params,
    body: jsonBody(ReplayBody),
  },
  responses: { 202: json(z.object({ queued: z.number().int() }).openapi('WebhookReplay'), 'How many events will be sent again.'), ...standardErrors },
});

export function webhooksRoutes(webhooks: WebhooksService) {
  const r = newRouter();
  const org = (c: { get(k: 'principal'): { orgId: string } }) => c.get('principal').orgId;
  r.openapi(create, async (c) => c.json(await webhooks.create(org(c), c.req.valid('json')), 201));
  r.openapi(list, async (c) => c.json({ entities: await webhooks.list(org(c)) }, 200));
  r.openapi(get, async (c) => c.json(await webhooks.get(org(c), c.req.valid('param').id), 200));
  r.openapi(patch, async (c) => c.json(await webhooks.update(org(c), c.req.valid('param').id, c.req.valid('json')), 200));
  r.openapi(remove, async (c) => {
    await webhooks.remove(org(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
  r.openapi(rotate, async (c) => c.json(await webhooks.rotate(org(c), c.req.valid('param').id), 200));
  r.openapi(attempts, async (c) => {
    const q = c.req.valid('query');
    const paging = { pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 };
    const id = c.req.valid('param').id;
    const { entities, total } = await webhooks.attempts(org(c), id, paging);
    return c.json(pageOf(entities, { total, ...paging, base: `/api/v2/webhooks/${id}/attempts` }), 200);
  });
  r.openapi(replay, async (c) => c.json(await webhooks.replay(org(c), c.req.valid('param').id, c.req.valid('json')), 202));
  return r;
}
