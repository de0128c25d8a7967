import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { ErrorBodySchema, json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { TemplatesService } from './templates.service.js';

export const LocalizationSchema = z
  .object({
    locale: z.string().max(100).openapi({ example: 'fi-FI', description: 'A BCP 47 language tag; stored in canonical form.' }),
    subject: z.string().max(2000).openapi({ example: 'Palvelupyyntö {CaseName} on vastaanotettu' }),
    textBody: z.string().optional(),
    htmlBody: z.string().optional(),
  })
  .strict()
  .openapi('OutboundTemplateLocalization');

export const TemplateInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    channel: z.enum(['email']),
    defaultLocale: z.string().max(100).openapi({ description: 'One of the localizations: what a contact whose locale matches none receives.' }),
    localizations: z.array(LocalizationSchema),
  })
  .strict()
  .openapi('OutboundTemplateInput');

const TemplateSchema = TemplateInputSchema.extend({ id: z.string(), dateCreated: z.string(), dateModified: z.string(), selfUri: z.string() }).openapi('OutboundTemplate');

export const PreviewSchema = z
  .object({
    locale: z.string().max(100).optional().openapi({ description: "The contact's locale; absent: the template's default." }),
    values: z.record(z.string().max(100), z.string().max(64 * 1024)).openapi({ example: { CustomerName: 'Pat', CaseName: 'CAS-01001' } }),
  })
  .strict()
  .openapi('OutboundTemplatePreviewRequest');

const RenderedSchema = z.object({ locale: z.string(), subject: z.string(), textBody: z.string().nullable(), htmlBody: z.string().nullable() }).openapi('OutboundTemplatePreview');

const tags = ['Outbound templates'];
export const TEMPLATE_EDIT = [PERMISSIONS.outboundTemplateEdit];
export const TEMPLATE_VIEW = [PERMISSIONS.outboundTemplateView, ...TEMPLATE_EDIT];
const id = z.object({ templateId: z.string().max(100) });
const PATH = '/api/v2/outbound/templates';
const placeholders = 'Placeholders: `{Key}`, `{Key|default}`, the Dynamics slugs `{Field{Entity}}` such as `{FullName{Customer}}`; `{{` and `}}` are literal braces.';

const list = createRoute({
  method: 'get',
  path: PATH,
  summary: 'List message templates',
  tags,
  ...permit(TEMPLATE_VIEW),
  responses: { 200: json(z.object({ entities: z.array(TemplateSchema) }), 'The templates.'), ...standardErrors },
});
const create = createRoute({
  method: 'post',
  path: PATH,
  summary: 'Create a localized message template',
  description: placeholders,
  tags,
  ...permit(TEMPLATE_EDIT, BODY_LIMITS.template),
  request: { body: jsonBody(TemplateInputSchema) },
  responses: { 200: json(TemplateSchema, 'The template.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: `${PATH}/{templateId}`,
  summary: 'Get a message template',
  tags,
  ...permit(TEMPLATE_VIEW),
  request: { params: id },
  responses: { 200: json(TemplateSchema, 'The template.'), ...standardErrors },
});
const update = createRoute({
  method: 'put',
  path: `${PATH}/{templateId}`,
  summary: 'Replace a message template',
  description: placeholders,
  tags,
  ...permit(TEMPLATE_EDIT, BODY_LIMITS.template),
  request: { params: id, body: jsonBody(TemplateInputSchema) },
  responses: { 200: json(TemplateSchema, 'The template.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: `${PATH}/{templateId}`,
  summary: 'Delete a message template no configuration uses',
  tags,
  ...permit(TEMPLATE_EDIT),
  request: { params: id },
  responses: { 204: { description: 'Deleted.' }, ...standardErrors, 409: json(ErrorBodySchema, 'Outbound configurations use the template; the error names them.') },
});
const preview = createRoute({
  method: 'post',
  path: `${PATH}/{templateId}/preview`,
  summary: 'Render a template for sample values',
  description: 'Answers what a contact with this locale and these values would receive. A missing value is a 400 listing every missing placeholder.',
  tags,
  ...permit(TEMPLATE_VIEW, BODY_LIMITS.template),
  request: { params: id, body: jsonBody(PreviewSchema) },
  responses: { 200: json(RenderedSchema, 'The rendered message.'), ...standardErrors },
});

export function templatesRoutes(templates: TemplatesService) {
  const r = newRouter();
  r.openapi(list, async (c) => c.json({ entities: await templates.list(c.get('principal').orgId) }, 200));
  r.openapi(create, async (c) => c.json(await templates.create(c.get('principal').orgId, c.req.valid('json')), 200));
  r.openapi(get, async (c) => c.json(await templates.get(c.get('principal').orgId, c.req.valid('param').templateId), 200));
  r.openapi(update, async (c) => c.json(await templates.update(c.get('principal').orgId, c.req.valid('param').templateId, c.req.valid('json')), 200));
  r.openapi(remove, async (c) => {
    await templates.remove(c.get('principal').orgId, c.req.valid('param').templateId);
    return c.body(null, 204);
  });
  r.openapi(preview, async (c) => {
    const body = c.req.valid('json');
    return c.json(await templates.preview(c.get('principal').orgId, c.req.valid('param').templateId, body.locale, body.values), 200);
  });
  return r;
}
