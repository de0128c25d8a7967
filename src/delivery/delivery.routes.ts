import fs from 'node:fs/promises';
import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { AppError } from '../errors.js';
import { newRouter, permit, standardErrors } from '../http/router.js';
import { capturedFile } from './transport.js';

const raw = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails/{conversationId}/messages/{messageId}/raw',
  summary: 'The message exactly as received, or as captured (capture mode), as message/rfc822',
  tags: ['Conversations'],
  ...permit([PERMISSIONS.emailView]),
  request: { params: z.object({ conversationId: z.string(), messageId: z.string() }) },
  responses: { 200: { description: 'The RFC 5322 message.', content: { 'message/rfc822': { schema: z.string() } } }, ...standardErrors },
});

export function deliveryRoutes(deps: { conversations: ConversationsService; inbound: { raw(messageId: string): Promise<Buffer | null> }; dataDir: string }) {
  const r = newRouter();
  r.openapi(raw, async (c) => {
    const p = c.get('principal');
    const { conversationId, messageId } = c.req.valid('param');
    const message = await deps.conversations.getMessage(p.orgId, conversationId, messageId);
    let bytes: Buffer | null;
    if (message.direction === 'inbound') bytes = await deps.inbound.raw(message.id);
    else bytes = await fs.readFile(capturedFile(deps.dataDir, message.id)).catch(() => null);
    if (!bytes) throw new AppError(404, 'not.found', `Message ${messageId} has no captured copy: it is not delivered yet, or outbound mail is not in capture mode.`);
    c.header('Content-Type', 'message/rfc822');
    return c.body(new Uint8Array(bytes), 200);
  });
  return r;
}
