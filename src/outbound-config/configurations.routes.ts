import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import { EmailAddressSchema } from '../send/send.schema.js';
import type { ConfigurationsService } from './configurations.service.js';

export const ConfigurationInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    channelType: z.enum(['email']),
    fromAddress: EmailAddressSchema.openapi({ description: 'On a sender domain of the organization.' }),
    templateId: z.string().max(100),
    showInTimeline: z.boolean(),
    conversationRecord: z.enum(['onSend', 'onResponse']).openapi({ description: 'onSend: the conversation is listed once sent; onResponse: only once the customer replies.' }),
    queueId: z.string().max(100).nullable().optional().openapi({ description: 'The queue replies go to; absent: the inbound route of the reply address.' }),
  })
  .strict()
  .openapi('OutboundConfigurationInput');

const ConfigurationSchema = ConfigurationInputSchema.extend({ id: z.string(), dateCreated: z.string(), dateModified: z.string(), selfUri: z.string() }).openapi('OutboundConfiguration');

export const configurationTags = ['Outbound configurations'];
const tags = configurationTags;
export const CONFIGURATION_EDIT = [PERMISSIONS.outboundConfigurationEdit];
export const CONFIGURATION_VIEW = [PERMISSIONS.outboundConfigurationView, ...CONFIGURATION_EDIT];
const id = z.object({ configurationId: z.string().max(100) });
const PATH = '/api/v2/outbound/configurations';

const list = createRoute({
  method: 'get',
  path: PATH,
  summary: 'List outbound configurations',
  tags,
  ...permit(CONFIGURATION_VIEW),
  responses: { 200: json(z.object({ entities: z.array(ConfigurationSchema) }), 'The configurations.'), ...standardErrors },
});
const create = createRoute({
  method: 'post',
  path: PATH,
  summary: 'Create an outbound configuration',
  tags,
  ...permit(CONFIGURATION_EDIT, BODY_LIMITS.json),
  request: { body: jsonBody(ConfigurationInputSchema) },
  responses: { 200: json(ConfigurationSchema, 'The configuration; `id` is what invocations name.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: `${PATH}/{configurationId}`,
  summary: 'Get an outbound configuration',
  tags,
  ...permit(CONFIGURATION_VIEW),
  request: { params: id },
  responses: { 200: json(ConfigurationSchema, 'The configuration.'), ...standardErrors },
});
const update = createRoute({
  method: 'put',
  path: `${PATH}/{configurationId}`,
  summary: 'Replace an outbound configuration',
  tags,
  ...permit(CONFIGURATION_EDIT, BODY_LIMITS.json),
  request: { params: id, body: jsonBody(ConfigurationInputSchema) },
  responses: { 200: json(ConfigurationSchema, 'The configuration.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: `${PATH}/{configurationId}`,
  summary: 'Delete an outbound configuration',
  tags,
  ...permit(CONFIGURATION_EDIT),
  request: { params: id },
  responses: { 204: { description: 'Deleted; messages it sent stay.' }, ...standardErrors },
});

export function configurationsRoutes(configurations: ConfigurationsService) {
  const r = newRouter();
  r.openapi(list, async (c) => c.json({ entities: await configurations.list(c.get('principal').orgId) }, 200));
  r.openapi(create, async (c) => c.json(await configurations.create(c.get('principal').orgId, c.req.valid('json')), 200));
  r.openapi(get, async (c) => c.json(await configurations.get(c.get('principal').orgId, c.req.valid('param').configurationId), 200));
  r.openapi(update, async (c) => c.json(await configurations.update(c.get('principal').orgId, c.req.valid('param').configurationId, c.req.valid('json')), 200));
  r.openapi(remove, async (c) => {
    await configurations.remove(c.get('principal').orgId, c.req.valid('param').configurationId);
    return c.body(null, 204);
  });
  return r;
}
