import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { ThreadingService } from './threading.service.js';

const SettingsSchema = z
  .object({
    windowDays: z.number().int().min(0).max(30).openapi({ description: 'Replies to messages older than this start a new conversation; 0 turns threading off.' }),
    subjectThreading: z.boolean().openapi({ description: 'Start a new conversation when the base subject (without Re:, Fwd:, AW:, SV:, [tags]) changed.' }),
    inboundAuth: z.enum(['require', 'relaxed', 'monitor']).openapi({
      description:
        "Who may be appended to a conversation. require: DMARC passes for the From domain, or From is the conversation's customer and SPF or DKIM passes aligned with it; otherwise the reply is quarantined. " +
        "relaxed: as require, and also the customer's own address when the From domain publishes nothing (no SPF, no DMARC, no DKIM signature). " +
        'monitor: nothing is quarantined; the decision records which rule would have applied.',
    }),
  })
  .openapi('ThreadingSettings');

const getSettings = createRoute({
  method: 'get',
  path: '/api/v2/organizations/me/threading',
  summary: "The organization's threading rules",
  tags: ['Threading'],
  ...permit([PERMISSIONS.orgView, PERMISSIONS.orgAdmin, PERMISSIONS.routingEmailManage]),
  responses: { 200: json(SettingsSchema, 'The rules.'), ...standardErrors },
});
const putSettings = createRoute({
  method: 'put',
  path: '/api/v2/organizations/me/threading',
  summary: 'Change the threading window (0–30 days), subject-based threading and the authentication policy for replies',
  tags: ['Threading'],
  ...permit([PERMISSIONS.orgAdmin, PERMISSIONS.routingEmailManage]),
  request: { body: jsonBody(SettingsSchema.partial()) },
  responses: { 200: json(SettingsSchema, 'The rules now in force.'), ...standardErrors },
});
const explain = createRoute({
  method: 'get',
  path: '/api/v2/conversations/emails/{conversationId}/messages/{messageId}/threading',
  summary: 'Why an inbound message was threaded where it was',
  description:
    'The signal that matched (reply-token, in-reply-to, references, thread-index or none), every candidate considered with its outcome (matched, unknown, bad-signature, other-organization, outside-window, subject-changed, not-considered), and the rules in force. `authentication` names the rule that let a reply into its conversation (dmarc-pass, customer-aligned-spf, customer-aligned-dkim, relaxed-publishes-nothing, monitor, released); `authorProblem`, when present, says why the message has no single author (several From fields or mailboxes, a group, a From that does not parse strictly, or not the From that DMARC evaluated): such a message is never appended by a rule, and one that starts a conversation is filed under its envelope sender.',
  tags: ['Threading'],
  ...permit([PERMISSIONS.emailView]),
  request: { params: z.object({ conversationId: z.string(), messageId: z.string() }) },
  responses: { 200: json(z.record(z.string(), z.unknown()).openapi('ThreadingDecision'), 'The decision.'), ...standardErrors },
});

export function threadingRoutes(threading: ThreadingService, conversations: ConversationsService) {
  const r = newRouter();
  r.openapi(getSettings, async (c) => c.json(await threading.settings(c.get('principal').orgId), 200));
  r.openapi(putSettings, async (c) => c.json(await threading.updateSettings(c.get('principal').orgId, c.req.valid('json')), 200));
  r.openapi(explain, async (c) => {
    const p = c.get('principal');
    const { conversationId, messageId } = c.req.valid('param');
    await conversations.getMessage(p.orgId, conversationId, messageId);
    return c.json(await threading.explain(p.orgId, messageId), 200);
  });
  return r;
}
