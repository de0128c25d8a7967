import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/schema.js';
import { badRequest, notFound } from '../errors.js';
import type { EventsService } from '../events/events.service.js';
import type { EventType } from '../events/events.views.js';
import { newId } from '../ids.js';
import * as repo from './conversations.repo.js';
import { conversationView, type MessageView, messageView, pageOf } from './conversations.views.js';

export type ConversationsService = ReturnType<typeof createConversationsService>;

export type NewMessage = Omit<repo.MessageRow, 'status' | 'status_at' | 'last_response' | 'attempts' | 'created_at'>;

/** The event each delivery status is announced by. */
const DELIVERY_EVENTS: Record<string, EventType | undefined> = {
  sent: 'message.sent',
  deferred: 'message.deferred',
  failed: 'message.failed',
  bounced: 'message.bounced',
  complained: 'message.complained',
};

/**
 * A new message's row, written out field by field: spreading `m` into a row with five more
 * fields made V8 miss its inline caches on every message (the hottest object of a send).
 */
const messageRow = (m: NewMessage, status: string, now: number): repo.MessageRow => ({
  id: m.id,
  org_id: m.org_id,
  conversation_id: m.conversation_id,
  direction: m.direction,
  sender_type: m.sender_type,
  stitched: m.stitched,
  from_email: m.from_email,
  from_name: m.from_name,
  to_email: m.to_email,
  to_name: m.to_name,
  reply_to_email: m.reply_to_email,
  reply_to_name: m.reply_to_name,
  subject: m.subject,
  text_body: m.text_body,
  html_body: m.html_body,
  message_id_header: m.message_id_header,
  status,
  status_at: now,
  last_response: null,
  attempts: 0,
  created_at: now,
});

export function createConversationsService({ db, clock, events }: { db: Db; clock: Clock; events: EventsService }) {
  async function requireConversation(ex: Executor, orgId: string, id: string) {
    const row = await repo.findConversation(ex, orgId, id);
    if (!row) throw notFound(`Conversation ${id}`);
    return row;
  }

  return {
    /**
     * The conversation a new outbound message belongs to: the given one (same organization
     * only; a foreign id reads as unknown, so ids of other tenants cannot be probed) or a new one.
     */
    async startOrContinue(ex: Executor, orgId: string, conversationId: string | undefined, customerEmail: string, subject: string | null) {
      const now = clock.now();
      if (conversationId !== undefined) {
        const row = await repo.findConversation(ex, orgId, conversationId);
        if (!row) throw badRequest('conversationId', `Conversation ${conversationId} does not exist in this organization.`, 'conversation.not.found');
        await repo.touchConversation(ex, row.id, now);
        return { id: row.id, stitched: true };
      }
      const id = newId(now);
      await repo.insertConversation(ex, { id, org_id: orgId, subject, customer_email: customerEmail, created_at: now, updated_at: now, queue_id: null, previous_conversation_id: null });
      return { id, stitched: false };
    },

    /**
     * Stores an outbound message as `queued` (or, for one that will never be sent, as `as.status`
     * with its reason), with the first entry of its status history and its event.
     */
    async recordOutbound(ex: Executor, message: NewMessage, as: { status: 'suppressed'; detail: string } | undefined = undefined) {
      const now = clock.now();
      const status = as?.status ?? 'queued';
      await repo.insertMessage(ex, messageRow(message, status, now));
      await repo.insertEvents(ex, [{ id: newId(now), message_id: message.id, status, at: now, smtp_response: null, detail: as?.detail ?? null }]);
      await events.record(ex, message.org_id, `message.${status}`, { messageId: message.id, conversationId: message.conversation_id, ...(as ? { detail: as.detail } : {}) });
      return now;
    },

    /** Delivery outcomes, each on its message row, as an entry of its status history and as an event (one insert for all). */
    async setDeliveryStatus(ex: Executor, changes: Array<{ id: string; status: string; response: string; detail: string | null; attempts: number }>) {
      const now = clock.now();
      const announced = [];
      // The rows' organizations and conversations come back from the update itself: no read for the events.
      const owners = await repo.setOutcomes(
        ex,
        now,
        changes.map((c) => ({ id: c.id, status: c.status, last_response: c.response, attempts: c.attempts })),
      );
      for (const c of changes) {
        const m = owners.get(c.id);
        const type = DELIVERY_EVENTS[c.status];
        if (m && type)
          announced.push({
            orgId: m.org_id,
            type,
            data: { messageId: c.id, conversationId: m.conversation_id, smtpResponse: c.response, attempts: c.attempts, ...(c.detail ? { detail: c.detail } : {}) },
          });
      }
      await repo.insertEvents(
        ex,
        changes.map((c) => ({ id: newId(now), message_id: c.id, status: c.status, at: now, smtp_response: c.response, detail: c.detail })),
      );
      await events.recordMany(ex, announced);
    },

    /** Marks several messages with one status in one statement (the worker's claim). */
    async markMany(ex: Executor, ids: string[], status: string) {
      if (ids.length === 0) return;
      const now = clock.now();
      await repo.setStatus(ex, ids, { status, status_at: now });
      await repo.insertEvents(
        ex,
        ids.map((id) => ({ id: newId(now), message_id: id, status, at: now, smtp_response: null, detail: null })),
      );
    },

    /** A conversation started by an inbound message (not by a send). */
    async startInbound(ex: Executor, orgId: string, c: { customerEmail: string; subject: string | null; queueId: string | null; previousConversationId: string | null }) {
      const now = clock.now();
      const id = newId(now);
      await repo.insertConversation(ex, {
        id,
        org_id: orgId,
        subject: c.subject,
        customer_email: c.customerEmail,
        created_at: now,
        updated_at: now,
        queue_id: c.queueId,
        previous_conversation_id: c.previousConversationId,
      });
      return id;
    },

    /** Stores a received message as `received`, with its first history entry and its event. */
    async recordInbound(ex: Executor, message: NewMessage) {
      const now = clock.now();
      await repo.insertMessage(ex, messageRow(message, 'received', now));
      await repo.insertEvents(ex, [{ id: newId(now), message_id: message.id, status: 'received', at: now, smtp_response: null, detail: null }]);
      await events.record(ex, message.org_id, 'inbound.received', { messageId: message.id, conversationId: message.conversation_id });
      await repo.touchConversation(ex, message.conversation_id, now);
    },

    async conversationRow(ex: Executor, orgId: string, id: string) {
      return repo.findConversation(ex, orgId, id);
    },

    latestMessage: (ex: Executor, conversationId: string, direction: 'inbound' | 'outbound') => repo.latestMessage(ex, conversationId, direction),

    setQueue: (ex: Executor, id: string, queueId: string) => repo.setConversationQueue(ex, id, queueId),
    /** Leaves a new conversation out of the listings until a message is written into it (the customer's reply). */
    hideUntilReply: (ex: Executor, id: string) => repo.setAwaitingReply(ex, id),

    findMessageById: (id: string) => repo.findMessageById(db, id),
    /** An outbound message of this organization, for a bounce or complaint that names it. */
    findMessageIn: async (ex: Executor, orgId: string, id: string) => {
      const m = await repo.findMessageById(ex, id);
      return m && m.org_id === orgId && m.direction === 'outbound' ? m : undefined;
    },
    recordBounce: repo.saveBounce,
    findMessagesForDelivery: repo.findMessagesForDelivery,
    findMessageBodies: repo.findMessageBodies,

    async getConversation(orgId: string, id: string) {
      const row = await requireConversation(db, orgId, id);
      return conversationView(row, await repo.countMessages(db, id, true, 'inbound'));
    },

    async listMessages(orgId: string, conversationId: string, opts: { includeStitched: boolean; pageSize: number; pageNumber: number }) {
      await requireConversation(db, orgId, conversationId);
      const total = await repo.countMessages(db, conversationId, opts.includeStitched);
      const page = await repo.listMessages(db, orgId, conversationId, opts.includeStitched, opts.pageSize, (opts.pageNumber - 1) * opts.pageSize);
      const facts = new Map(
        (
          await repo.inboundFacts(
            db,
            page.filter((r) => r.direction === 'inbound').map((r) => r.id),
          )
        ).map((f) => [f.message_id, f]),
      );
      const entities: MessageView[] = page.map((r) => messageView(r, null, facts.get(r.id)));
      return pageOf(entities, { total, pageSize: opts.pageSize, pageNumber: opts.pageNumber, base: `/api/v2/conversations/emails/${conversationId}/messages` });
    },

    /** The organization's conversations, newest first: what an operator's list of interactions reads. */
    async listConversations(orgId: string, paging: { pageSize: number; pageNumber: number }) {
      const rows = await repo.listConversations(db, orgId, paging.pageSize, (paging.pageNumber - 1) * paging.pageSize);
      const counts = new Map(
        (
          await repo.countInbound(
            db,
            rows.map((r) => r.id),
          )
        ).map((c) => [c.conversation_id, Number(c.n)]),
      );
      const entities = rows.map((r) => conversationView(r, counts.get(r.id) ?? 0));
      return pageOf(entities, { total: await repo.countConversations(db, orgId), ...paging, base: '/api/v2/conversations/emails' });
    },

    /** Messages of the organization by address, status, direction and time, newest first. */
    async searchMessages(orgId: string, filter: repo.MessageFilter, paging: { pageSize: number; pageNumber: number }, query: URLSearchParams) {
      const rows = await repo.searchMessages(db, orgId, filter, paging.pageSize, (paging.pageNumber - 1) * paging.pageSize);
      const facts = new Map(
        (
          await repo.inboundFacts(
            db,
            rows.filter((r) => r.direction === 'inbound').map((r) => r.id),
          )
        ).map((f) => [f.message_id, f]),
      );
      const entities = rows.map((r) => ({ ...messageView(r, null, facts.get(r.id)), conversationId: r.conversation_id }));
      return pageOf(entities, { total: await repo.countSearch(db, orgId, filter), ...paging, base: '/api/v2/conversations/emails/messages/search', query });
    },

    /**
     * The same search paged by key (the console's): `limit` messages below `before`, newest
     * first, and the key of the next page when there is one.
     */
    async findMessages(orgId: string, filter: repo.MessageFilter, before: repo.MessageKey | undefined, limit: number) {
      const rows = await repo.searchMessagesBefore(db, orgId, filter, before, limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const next: repo.MessageKey | undefined = rows.length > limit && last ? { createdAt: Number(last.created_at), id: last.id } : undefined;
      return { entities: page.map((r) => ({ ...messageView(r, null), conversationId: r.conversation_id })), next };
    },

    /** `ex`: a transaction, to show the message as that transaction sees it (row and history agree). */
    async getMessage(orgId: string, conversationId: string, id: string, ex: Executor = db) {
      const row = await repo.findMessage(ex, orgId, conversationId, id);
      if (!row) throw notFound(`Message ${id} in conversation ${conversationId}`);
      const facts = row.direction === 'inbound' ? (await repo.inboundFacts(ex, [id]))[0] : undefined;
      const bounce = row.direction === 'outbound' ? await repo.findBounce(ex, id) : undefined;
      return messageView(row, await repo.listEvents(ex, id), facts, bounce);
    },
  };
}
