import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { InboundService } from './inbound.service.js';

// Replies that named a conversation but failed the organization's authentication rule
// (src/inbound/authenticate.ts), for an administrator to release or drop.

export const QUARANTINE_MANAGE = [PERMISSIONS.routingEmailManage, PERMISSIONS.orgAdmin];
const MANAGE = QUARANTINE_MANAGE;
const BASE = '/api/v2/routing/email/quarantine';
const tags = ['Quarantine'];
const Entry = z.record(z.string(), z.unknown()).openapi('QuarantinedMessage');
const Id = z.object({ quarantineId: z.string() });
export const ReleaseBody = z.object({ into: z.enum(['conversation', 'new']) });

const list = createRoute({
  method: 'get',
  path: BASE,
  summary: 'Replies held in quarantine',
  description:
    'Newest first. Each entry names the conversation the reply pointed at, the reason it was held, and its Authentication-Results. A reply whose author cannot be determined unambiguously (several From fields or mailboxes, a group, a From that does not parse strictly) is held under every policy with the rule `ambiguous-author`.',
  tags,
  ...permit(MANAGE),
  request: {
    query: z.object({
      state: z.enum(['held', 'released', 'dropped', 'all']).default('held'),
      pageSize: z.coerce.number().int().min(1).max(100).default(25),
      pageNumber: z.coerce.number().int().min(1).default(1),
    }),
  },
  responses: { 200: json(z.object({ entities: z.array(Entry), pageSize: z.number(), pageNumber: z.number() }).openapi('QuarantineListing'), 'The entries.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: `${BASE}/{quarantineId}`,
  summary: 'One quarantined reply',
  tags,
  ...permit(MANAGE),
  request: { params: Id },
  responses: { 200: json(Entry, 'The entry.'), ...standardErrors },
});
const release = createRoute({
  method: 'post',
  path: `${BASE}/{quarantineId}/release`,
  summary: 'Release a held reply',
  description: '`into: "conversation"` appends it to the conversation it named (its threading decision records who released it); `into: "new"` starts a new conversation linked to that one.',
  tags,
  ...permit(MANAGE),
  request: { params: Id, body: jsonBody(ReleaseBody) },
  responses: { 200: json(Entry, 'The entry, released, with the stored message and its conversation.'), ...standardErrors, 409: json(Entry, 'Already released or dropped.') },
});
const drop = createRoute({
  method: 'post',
  path: `${BASE}/{quarantineId}/drop`,
  summary: 'Drop a held reply',
  description: 'Deletes the message; the entry remains, saying who dropped it and when.',
  tags,
  ...permit(MANAGE),
  request: { params: Id },
  responses: { 200: json(Entry, 'The entry, dropped.'), ...standardErrors, 409: json(Entry, 'Already released or dropped.') },
});

/** Who released or dropped a reply, as the entry records it: the user, or else the OAuth client. */
export const resolvedBy = (p: { clientId: string; userId?: string }) => (p.userId ? `user ${p.userId}` : `client ${p.clientId}`);

export function quarantineRoutes(inbound: InboundService) {
  const r = newRouter();
  r.openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(await inbound.listQuarantine(c.get('principal').orgId, { state: q.state === 'all' ? null : q.state, pageSize: q.pageSize, pageNumber: q.pageNumber }), 200);
  });
  r.openapi(get, async (c) => c.json(await inbound.getQuarantine(c.get('principal').orgId, c.req.valid('param').quarantineId), 200));
  r.openapi(release, async (c) => {
    const p = c.get('principal');
    return c.json(await inbound.release(p.orgId, c.req.valid('param').quarantineId, c.req.valid('json').into, resolvedBy(p)), 200);
  });
  r.openapi(drop, async (c) => {
    const p = c.get('principal');
    return c.json(await inbound.drop(p.orgId, c.req.valid('param').quarantineId, resolvedBy(p)), 200);
  });
  return r;
}
