import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { Logger } from '../log.js';
import { domainOf } from '../mail/address.js';
import type { AgentReplyService } from './agent-reply.js';
import { EmailAddressSchema } from './send.schema.js';

const route = createRoute({
  method: 'post',
  path: '/api/v2/conversations/emails/{conversationId}/messages',
  summary: "Send an agent's reply in the conversation, threaded",
  description:
    "Goes to the conversation's customer (never to a Reply-To a later message names), in reply to their latest message, with In-Reply-To, References, `Re:` subject, Outlook Thread-Index/Thread-Topic and a Reply-To token. `from` defaults to the conversation's earlier sender address.",
  tags: ['Conversations'],
  ...permit([PERMISSIONS.emailReply, PERMISSIONS.emailCreate], BODY_LIMITS.message),
  request: {
    params: z.object({ conversationId: z.string() }),
    body: jsonBody(
      z.object({ textBody: z.string().optional(), htmlBody: z.string().optional(), subject: z.string().optional(), from: EmailAddressSchema.optional() }).openapi('EmailMessageReply'),
    ),
  },
  responses: { 202: json(z.record(z.string(), z.unknown()), 'The queued message, as GET …/messages/{messageId} shows it.'), ...standardErrors },
});

export function agentReplyRoutes(replies: AgentReplyService, log: Logger) {
  const r = newRouter();
  r.openapi(route, async (c) => {
    const p = c.get('principal');
    const body = c.req.valid('json');
    const from = body.from?.email ? { email: body.from.email, ...(body.from.name ? { name: body.from.name } : {}) } : undefined;
    const msg = await replies.reply(p.orgId, c.req.valid('param').conversationId, { ...body, from });
    log.info(
      {
        contextId: c.get('contextId'),
        orgId: p.orgId,
        messageId: msg.id,
        conversationId: c.req.valid('param').conversationId,
        userId: p.userId ?? null,
        toDomain: domainOf(msg.to[0]!.email),
      },
      'agent reply accepted',
    );
    return c.json(msg, 202);
  });
  return r;
}
