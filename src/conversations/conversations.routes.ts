import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { json, newRouter, permit, standardErrors } from '../http/router.js';
import type { ConversationsService } from './conversations.service.js';

// Reading needs conversation:email:view: a client that only sends does not read the replies.
const VIEW = [PERMISSIONS.emailView];
const Any = z.record(z.string(), z.unknown());
const tags = ['Conversations'];

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
      pageSize: z.coerce.number().int().min(1).max(100).optional(),
      pageNumber: z.coerce.number().int().min(1).optional(),
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
