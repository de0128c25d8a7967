import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { badRequest } from '../errors.js';
import { json, newRouter, permit, standardErrors } from '../http/router.js';
import type { EventsService } from './events.service.js';
import { decodeCursor, EVENT_TYPES, type EventType, isEventType } from './events.views.js';

const Event = z.object({ id: z.string(), type: z.enum(EVENT_TYPES), timestamp: z.string(), data: z.record(z.string(), z.unknown()) }).openapi('Event');

const list = createRoute({
  method: 'get',
  path: '/api/v2/events',
  summary: "The organization's events, in order",
  description:
    'Every state change, written in the transaction that made it: ' +
    EVENT_TYPES.map((t) => `\`${t}\``).join(', ') +
    '. `data` names the ids the event concerns (`messageId`, `conversationId`, `workItemId`, `domain`). ' +
    'Follow `nextCursor` (as `after`) to read on; a page that comes back empty keeps the cursor where it was, so polling with it never skips or repeats an event, even with several instances on one PostgreSQL database.',
  tags: ['Events'],
  ...permit([PERMISSIONS.eventsView]),
  request: {
    query: z.object({
      after: z.string().max(100).optional().openapi({ description: 'A `nextCursor` from an earlier page; absent: from the first event.' }),
      types: z.string().max(1000).optional().openapi({ description: 'Comma-separated event types; absent: all.', example: 'message.sent,message.failed' }),
      limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: '1 to 1000; default 100.' }),
    }),
  },
  responses: { 200: json(z.object({ entities: z.array(Event), nextCursor: z.string() }).openapi('EventListing'), 'One page of events, oldest first.'), ...standardErrors },
});

/** Each named type must be one there is: a typo would otherwise read as "no such events". */
function parseTypes(text: string | undefined): EventType[] | null {
  if (text === undefined) return null;
  const types = text.split(',').map((t) => t.trim());
  const bad = types.find((t) => !isEventType(t));
  if (bad !== undefined) throw badRequest('types', `types: ${JSON.stringify(bad)} is not an event type; known types are ${EVENT_TYPES.join(', ')}.`);
  return types as EventType[];
}

export function eventsRoutes(events: EventsService) {
  const r = newRouter();
  r.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const after = q.after === undefined ? null : decodeCursor(q.after);
    if (after === null && q.after !== undefined) throw badRequest('after', 'after: is not a cursor this service gave (use a nextCursor as it came).');
    return c.json(await events.list(c.get('principal').orgId, { after, types: parseTypes(q.types), limit: q.limit }), 200);
  });
  return r;
}
