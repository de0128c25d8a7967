import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { badRequest } from '../errors.js';
import { json, newRouter, permit, standardErrors } from '../http/router.js';
import type { ConversationsService } from './conversations.service.js';

// Reading needs conversation:email:view: a client that only sends does not read the replies.
const VIEW = [PERMISSIONS.emailView];
const Any = z.record(z.string(), z.unknown());
const tags = ['Conversations'];

const paging = {
  pageSize: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most 100; default 25.' }),
  pageNumber: z.coerce.number().int().min(1).optional(),
};

const listConversations = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails',
  summary: "The organization's email conversations, newest first",
  description: 'Paged like every Genesys listing (pageSize, pageNumber, total, pageCount). Each conversation as GET …/emails/{conversationId} shows it.',
  tags,
  ...permit(VIEW),
  request: { query: z.object(paging) },
  responses: { 200: json(Any.openapi('EmailConversationEntityListing'), 'One page of conversations, newest first.'), ...standardErrors },
});

export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'deferred', 'failed', 'bounced', 'complained', 'suppressed', 'received'] as const;

const searchMessages = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails/messages/search',
  summary: "Search the organization's messages by address, status, direction and time",
  description:
    'Every filter is optional and they combine. `address` matches the sender or the recipient (case-insensitive). `interval` is an ISO-8601 interval `start/end` (start included, end excluded) on the time the message was accepted or received. Newest first, paged; each entity carries its `conversationId`.',
  tags,
  ...permit(VIEW),
  request: {
    query: z.object({
      address: z.string().max(320).optional().openapi({ example: 'customer@example.com' }),
      status: z.enum(MESSAGE_STATUSES).optional(),
      direction: z.enum(['inbound', 'outbound']).optional(),
      interval: z.string().max(100).optional().openapi({ example: '2026-12-01T00:00:00Z/2026-12-02T00:00:00Z' }),
      ...paging,
    }),
  },
  responses: { 200: json(Any.openapi('EmailMessageSearchListing'), 'One page of messages, newest first.'), ...standardErrors },
});

/** `start/end` in ISO-8601 as epoch milliseconds; a 400 naming `interval` otherwise. */
function parseInterval(interval: string): { since: number; until: number } {
  const [start, end, extra] = interval.split('/');
  const since = Date.parse(start ?? '');
  const until = Date.parse(end ?? '');
  if (extra !== undefined || Number.isNaN(since) || Number.isNaN(until) || since >= until) {
    throw badRequest('interval', `interval must be two ISO-8601 times, start/end with start before end, like 2026-12-01T00:00:00Z/2026-12-02T00:00:00Z (got ${JSON.stringify(interval)}).`);
  }
  return { since, until };
}

const getConversation = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails/{conversationId}',
  summary: 'Get an email conversation',
  tags,
  ...permit(VIEW),
  request: { params: z.object({ conversationId: z.string() }) },
  responses: { 200: json(Any.openapi('EmailConversation'), 'The conversation.'), ...standardErrors },
});

const listMessages = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails/{conversationId}/messages',
  summary: "List a conversation's messages",
  description: 'Agentless emails linked into the conversation by conversationId ("stitched") are listed only with includeAgentlessStitchedMessages=true.',
  tags,
  ...permit(VIEW),
  request: {
    params: z.object({ conversationId: z.string() }),
    query: z.object({
      includeAgentlessStitchedMessages: z.enum(['true', 'false']).optional(),
      ...paging,
    }),
  },
  responses: { 200: json(Any.openapi('EmailMessagePreviewListing'), 'One page of messages, oldest first.'), ...standardErrors },
});

const getMessage = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails/{conversationId}/messages/{messageId}',
  summary: 'Get one message with its delivery status and status history',
  tags,
  ...permit(VIEW),
  request: { params: z.object({ conversationId: z.string(), messageId: z.string() }) },
  responses: { 200: json(Any.openapi('EmailMessage'), 'The message.'), ...standardErrors },
});

export function conversationsRoutes(conversations: ConversationsService) {
  const r = newRouter();
  r.openapi(listConversations, async (c) => {
    const p = c.get('principal');
    const q = c.req.valid('query');
    return c.json(await conversations.listConversations(p.orgId, { pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 }), 200);
  });
  // Before /emails/{conversationId}/…: Hono matches routes in the order they are added.
  r.openapi(searchMessages, async (c) => {
    const p = c.get('principal');
    const { pageSize, pageNumber, interval, ...rest } = c.req.valid('query');
    const filter = { ...rest, ...(interval !== undefined ? parseInterval(interval) : {}) };
    const query = new URLSearchParams(Object.entries({ ...rest, ...(interval !== undefined ? { interval } : {}) }).filter((e): e is [string, string] => e[1] !== undefined));
    return c.json(await conversations.searchMessages(p.orgId, filter, { pageSize: pageSize ?? 25, pageNumber: pageNumber ?? 1 }, query), 200);
  });
  r.openapi(getConversation, async (c) => {
    const p = c.get('principal');
    return c.json(await conversations.getConversation(p.orgId, c.req.valid('param').conversationId), 200);
  });
  r.openapi(listMessages, async (c) => {
    const p = c.get('principal');
    const q = c.req.valid('query');
    const page = await conversations.listMessages(p.orgId, c.req.valid('param').conversationId, {
      includeStitched: q.includeAgentlessStitchedMessages === 'true',
      pageSize: q.pageSize ?? 25,
      pageNumber: q.pageNumber ?? 1,
    });
    return c.json(page, 200);
  });
  r.openapi(getMessage, async (c) => {
    const p = c.get('principal');
    const { conversationId, messageId } = c.req.valid('param');
    return c.json(await conversations.getMessage(p.orgId, conversationId, messageId), 200);
  });
  return r;
}
