import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { pageOf } from '../conversations/conversations.views.js';
import { json, newRouter, permit, standardErrors } from '../http/router.js';
import type { TimelineService } from './timeline.js';

const EntrySchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    direction: z.enum(['outbound', 'inbound']),
    senderType: z.string().openapi({ description: 'Outbound (the configuration), Agent or Customer.' }),
    from: z.string(),
    to: z.string(),
    subject: z.string(),
    status: z.string().openapi({ description: "The message's delivery status (queued, sent, failed …) or, for a reply, how it was received." }),
    time: z.string(),
    configurationId: z.string().optional(),
    entityRelationshipName: z.string().optional(),
    locale: z.string().optional(),
    selfUri: z.string(),
  })
  .openapi('OutboundTimelineEntry');

const PATH = '/api/v2/outbound/timeline';
const route = createRoute({
  method: 'get',
  path: PATH,
  summary: "A record's timeline: its outbound messages and their replies, newest first",
  description: 'The messages of configurations with showInTimeline on that name the record (regardingobjectid), and the rest of their conversations.',
  tags: ['Outbound configurations'],
  ...permit([PERMISSIONS.emailView]),
  request: {
    query: z.object({
      regardingobjectid: z.string().min(1).max(200),
      pageSize: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most 100; default 25.' }),
      pageNumber: z.coerce.number().int().min(1).optional(),
    }),
  },
  responses: {
    200: json(
      z
        .object({ entities: z.array(EntrySchema) })
        .passthrough()
        .openapi('OutboundTimeline'),
      'One page of the timeline.',
    ),
    ...standardErrors,
  },
});

export function timelineRoutes(timeline: TimelineService) {
  const r = newRouter();
  r.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const paging = { pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 };
    const { entities, total } = await timeline.list(c.get('principal').orgId, q.regardingobjectid, paging);
    return c.json(pageOf(entities, { total, ...paging, base: PATH, query: new URLSearchParams({ regardingobjectid: q.regardingobjectid }) }), 200);
  });
  return r;
}
