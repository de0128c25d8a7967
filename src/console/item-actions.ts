import { Hono } from 'hono';
import { CompleteBody, TransferBody } from '../acd/acd.routes.js';
import { PERMISSIONS } from '../auth/permissions.js';
import { AppError, conflict } from '../errors.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import type { ConsoleContext, ConsoleDeps, ConsoleEnv } from './env.js';
import { formOf, valid } from './form.js';
import { action, actionTaking } from './guard.js';
import { redirectWith } from './render.js';

/**
 * The holder's actions on an item, each the ACD or agent-reply service call the API makes. A
 * refusal the agent can act on (a 400, or a 409: the lease is gone) comes back as a message on
 * the page they were on.
 */
export function itemActionRoutes({ services }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const sessions = services.consoleSessions;
  const who = (c: ConsoleContext) => ({ orgId: c.get('principal').orgId, userId: c.get('principal').userId! });
  const pull = action(sessions, PERMISSIONS.workItemPull);

  async function attempt(c: ConsoleContext, back: string, run: () => Promise<string>, done: string) {
    try {
      return redirectWith(c, await run(), done);
    } catch (err) {
      if (err instanceof AppError && (err.status === 400 || err.status === 409)) return redirectWith(c, back, err.message, 'error');
      throw err;
    }
  }

  // Sent threaded by the same service as POST /api/v2/conversations/emails/{id}/messages, and only by the agent holding the item.
  r.post('/items/:id/answer', actionTaking(BODY_LIMITS.message, sessions, PERMISSIONS.emailReply, PERMISSIONS.emailCreate), async (c) => {
    const { orgId, userId } = who(c);
    const id = c.req.param('id');
    const back = `/console/items/${id}`;
    const form = await formOf(c);
    return attempt(
      c,
      back,
      async () => {
        if (typeof form.textBody !== 'string') throw new AppError(400, 'bad.request', 'Write an answer before sending it.');
        const item = await services.acd.get(orgId, id, { userId, supervisor: false });
        if (item.state !== 'leased' || item.agentId !== userId) throw conflict('workitem.lease.not.held', 'You no longer hold this item: its lease ran out, or it was passed on.');
        await services.agentReplies.reply(orgId, item.conversationId, { textBody: form.textBody });
        return back;
      },
      'Your answer is on its way.',
    );
  });

  r.post('/items/:id/extend', pull, async (c) => {
    const id = c.req.param('id');
    const back = `/console/items/${id}`;
    const extend = async () => {
      await services.acd.extend(who(c).orgId, who(c).userId, id);
      return back;
    };
    return attempt(c, back, extend, 'The item is yours for the next 5 minutes.');
  });

  r.post('/items/:id/decline', pull, async (c) => {
    const id = c.req.param('id');
    const decline = async () => {
      await services.acd.decline(who(c).orgId, who(c).userId, id);
      return '/console';
    };
    return attempt(c, `/console/items/${id}`, decline, 'Declined: the item is back in its queue.');
  });

  r.post('/items/:id/transfer', pull, async (c) => {
    const id = c.req.param('id');
    const form = await formOf(c);
    return attempt(
      c,
      `/console/items/${id}`,
      async () => {
        const body = valid(TransferBody, form);
        await services.acd.transfer(who(c).orgId, who(c).userId, id, body.queueId);
        return '/console';
      },
      'Transferred.',
    );
  });

  r.post('/items/:id/complete', pull, async (c) => {
    const id = c.req.param('id');
    const form = await formOf(c);
    return attempt(
      c,
      `/console/items/${id}`,
      async () => {
        await services.acd.complete(who(c).orgId, who(c).userId, id, valid(CompleteBody, form));
        return '/console';
      },
      'Completed.',
    );
  });
  return r;
}
