import { randomUUID } from 'node:crypto';
import type { AgentsService } from '../agents/agents.service.js';
import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Db, Executor } from '../db/schema.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import type { EventsService } from '../events/events.service.js';
import { newId } from '../ids.js';
import type { QueuesService } from '../queues/queues.service.js';
import type { WrapupCodesService } from '../queues/wrapup-codes.service.js';
import { published } from './acd.events.js';
import * as repo from './acd.repo.js';
import { eventView, startOfUtcDay, workItemView } from './acd.views.js';

export interface EnqueueInput {
  orgId: string;
  queueId: string;
  conversationId: string;
  messageId: string;
  /** Higher is pulled first; 0 by default. */
  priority?: number;
}

export interface EnqueueResult {
  id: string;
  /** The agent the item is reserved for under the last-agent rule, if any. */
  offeredTo: string | null;
  /** False when the message joined an item already open for its conversation. */
  created: boolean;
}

/** What the inbound path calls, inside its own transaction, for each reply that needs an agent. */
export type Enqueue = (ex: Executor, item: EnqueueInput) => Promise<EnqueueResult>;

export const LEASE_SECONDS = { default: 300, min: 10, max: 3600 } as const;
/** How long a declined item stays out of the decliner's pulls, so that it reaches someone else. */
export const DECLINE_COOLDOWN_MS = 60_000;
const EXPIRE_BATCH = 500;

export type AcdService = ReturnType<typeof createAcdService>;

export function createAcdService(deps: {
  db: Db;
  batcher: TxBatcher;
  clock: Clock;
  events: EventsService;
  agents: AgentsService;
  queues: QueuesService;
  conversations: ConversationsService;
  wrapupCodes: Pick<WrapupCodesService, 'checkForCompletion'>;
  /** PostgreSQL: claim with FOR UPDATE SKIP LOCKED. */
  skipLocked: boolean;
  lastAgentSeconds: number;
}) {
  const { db, batcher, clock, agents } = deps;
  const event = (row: { id: string; org_id: string; queue_id: string }, type: string, agentId: string | null, at: number, detail: string | null = null) => ({
    id: newId(at),
    work_item_id: row.id,
    org_id: row.org_id,
    queue_id: row.queue_id,
    type,
    agent_id: agentId,
    detail,
    at,
  });

  const enqueue: Enqueue = async (ex, item) => {
    const now = clock.now();
    const priority = item.priority ?? 0;
    // One open item per conversation: a second reply is read by whoever handles the first.
    const open = await repo.findOpenForConversation(ex, item.conversationId);
    if (open) {
      if (priority > open.priority) await repo.setPriority(ex, open.id, priority, now);
      await repo.insertEvents(ex, [event(open, 'message_added', null, now, item.messageId)]);
      const offered = open.offer_until !== null && Number(open.offer_until) > now ? open.offered_to : null;
      return { id: open.id, offeredTo: offered, created: false };
    }
    // Genesys's last-agent rule: the agent who completed this conversation's last item gets
    // the new one first, if still a member of the queue and holding no other item.
    let offeredTo: string | null = null;
    if (deps.lastAgentSeconds > 0) {
      const last = await repo.lastCompletedBy(ex, item.conversationId);
      if (last && (await agents.isMember(ex, item.queueId, last)) && !(await repo.holdsLease(ex, last, now))) offeredTo = last;
    }
    const row: repo.WorkItemRow = {
      id: newId(now),
      org_id: item.orgId,
      queue_id: item.queueId,
      conversation_id: item.conversationId,
      message_id: item.messageId,
      priority,
      state: 'waiting',
      enqueued_at: now,
      offered_to: offeredTo,
      offer_until: offeredTo ? now + deps.lastAgentSeconds * 1000 : null,
      declined_by: null,
      declined_until: null,
      ...repo.RELEASED,
      lease_expiries: 0,
      completed_at: null,
      completed_by: null,
      wrapup_code: null,
      wrapup_notes: null,
      created_at: now,
      updated_at: now,
    };
    await repo.insertItem(ex, row);
    await repo.insertEvents(ex, [event(row, 'enqueued', null, now, item.messageId), ...(offeredTo ? [event(row, 'offered', offeredTo, now)] : [])]);
    await deps.events.record(ex, row.org_id, 'workitem.created', {
      workItemId: row.id,
      conversationId: row.conversation_id,
      messageId: row.message_id,
      queueId: row.queue_id,
      ...(offeredTo ? { offeredTo } : {}),
    });
    return { id: row.id, offeredTo, created: true };
  };

  /** The item with what an agent needs to answer it: its conversation and messages (the first 100). */
  async function withConversation(row: repo.WorkItemRow) {
    const conversation = await deps.conversations.getConversation(row.org_id, row.conversation_id);
    const page = await deps.conversations.listMessages(row.org_id, row.conversation_id, { includeStitched: true, pageSize: 100, pageNumber: 1 });
    return { ...workItemView(row, clock.now()), conversation, messages: page.entities, messagesTotal: page.total };
  }

  /** Runs a change that only the lease holder may make; tells a stranger 404 and a former holder 409. */
  async function asHolder(
    orgId: string,
    userId: string,
    id: string,
    type: string,
    patch: (row: repo.WorkItemRow, now: number, trx: Executor) => Partial<repo.WorkItemRow> | Promise<Partial<repo.WorkItemRow>>,
    detail: (row: repo.WorkItemRow, changes: Partial<repo.WorkItemRow>) => string | null = () => null,
    more: (changes: Partial<repo.WorkItemRow>) => Record<string, unknown> = () => ({}),
  ) {
    const row = await batcher.run(async (trx) => {
      const now = clock.now();
      const before = await repo.findItem(trx, orgId, id);
      if (!before) throw notFound(`Work item ${id}`);
      const lost = () => conflict('workitem.lease.not.held', `You do not hold a lease on work item ${id}: it expired, or the item was completed or passed on.`);
      const held = before.state === 'leased' && before.agent_id === userId && Number(before.lease_until) > now;
      if (!held) throw lost();
      // updateHeld checks the lease again in its WHERE clause, for databases with several writers.
      const changes = await patch(before, now, trx);
      if (!(await repo.updateHeld(trx, { orgId, id, agentId: userId, now }, changes))) throw lost();
      await repo.insertEvents(trx, [event(before, type, userId, now, detail(before, changes))]);
      const after = (await repo.findItem(trx, orgId, id))!;
      await deps.events.recordMany(
        trx,
        published(before, type, userId, after.queue_id, { ...more(changes), ...(after.queue_id !== before.queue_id ? { fromQueueId: before.queue_id } : {}) }),
      );
      return after;
    });
    return workItemView(row, clock.now());
  }

  return {
    enqueue,

    /** Pulls the next item from one queue (the agent must be a member) or, with null, from any of the agent's queues. */
    async pull(orgId: string, userId: string, queueId: string | null, leaseSeconds: number = LEASE_SECONDS.default) {
      let queueIds: string[];
      if (queueId !== null) {
        await deps.queues.get(orgId, queueId);
        if (!(await agents.isMember(db, queueId, userId))) throw new AppError(403, 'not.queue.member', `You are not a member of queue ${queueId}.`);
        queueIds = [queueId];
      } else queueIds = await agents.memberQueueIds(db, userId);
      if (queueIds.length === 0) return null;
      const token = randomUUID();
      const row = await batcher.run(async (trx) => {
        const now = clock.now();
        const claimed = await repo.claimNext(trx, { queueIds, agentId: userId, token, now, leaseMs: leaseSeconds * 1000, skipLocked: deps.skipLocked });
        if (claimed) {
          await repo.insertEvents(trx, [event(claimed, 'leased', userId, now)]);
          await deps.events.recordMany(trx, published(claimed, 'leased', userId));
        }
        return claimed;
      });
      return row ? withConversation(row) : null;
    },

    extend: (orgId: string, userId: string, id: string, leaseSeconds: number = LEASE_SECONDS.default) =>
      asHolder(orgId, userId, id, 'extended', (_row, now) => ({ lease_until: now + leaseSeconds * 1000 })),

    decline: (orgId: string, userId: string, id: string) =>
      asHolder(orgId, userId, id, 'declined', (_row, now) => ({ ...repo.RELEASED, state: 'waiting', declined_by: userId, declined_until: now + DECLINE_COOLDOWN_MS })),

    async transfer(orgId: string, userId: string, id: string, queueId: string) {
      const target = await deps.queues.get(orgId, queueId).catch((err: unknown) => {
        if (err instanceof AppError && err.status === 404) throw badRequest('queueId', `Queue ${queueId} does not exist in this organization.`, 'queue.not.found');
        throw err;
      });
      return asHolder(
        orgId,
        userId,
        id,
        'transferred',
        (row) => {
          if (row.queue_id === target.id) throw badRequest('queueId', `Work item ${id} is already in queue ${queueId}.`);
          // The customer's wait keeps counting: enqueued_at stays, so it is not sent to the back.
          return { ...repo.RELEASED, state: 'waiting', queue_id: target.id, declined_by: null, declined_until: null };
        },
        () => target.id,
      );
    },

    /** `wrapupCode`: the id of one of the queue's wrap-up codes (see WrapupCodesService.checkForCompletion). */
    complete: (orgId: string, userId: string, id: string, wrapup: { wrapupCode?: string; notes?: string }) =>
      asHolder(
        orgId,
        userId,
        id,
        'completed',
        async (row, now, trx) => ({
          ...repo.RELEASED,
          state: 'completed',
          completed_at: now,
          completed_by: userId,
          wrapup_code: await deps.wrapupCodes.checkForCompletion(trx, orgId, row.queue_id, wrapup.wrapupCode),
          wrapup_notes: wrapup.notes ?? null,
        }),
        (_row, changes) => changes.wrapup_code ?? null,
        (changes) => (changes.wrapup_code ? { wrapupCode: changes.wrapup_code } : {}),
      ),

    /** A supervisor sees any item of the organization; an agent the ones they hold or could pull. */
    async get(orgId: string, id: string, viewer: { userId?: string; supervisor: boolean }) {
      const row = await repo.findItem(db, orgId, id);
      const visible =
        row !== undefined && (viewer.supervisor || (viewer.userId !== undefined && (row.agent_id === viewer.userId || (await agents.isMember(db, row.queue_id, viewer.userId)))));
      if (!row || !visible) throw notFound(`Work item ${id}`);
      return { ...workItemView(row, clock.now()), history: (await repo.listEvents(db, id)).map(eventView) };
    },

    async stats(orgId: string, queueId: string) {
      await deps.queues.get(orgId, queueId);
      const now = clock.now();
      const today = startOfUtcDay(now);
      const byState = await repo.countByState(db, queueId, now);
      const waiting = byState.find((r) => r.state === 'waiting');
      const leased = byState.find((r) => r.state === 'leased');
      const oldest = waiting?.oldest == null ? null : Number(waiting.oldest);
      return {
        queueId,
        waiting: Number(waiting?.n ?? 0),
        offered: Number(waiting?.offered ?? 0),
        inProgress: Number(leased?.n ?? 0),
        oldestWaitingSeconds: oldest === null ? null : Math.max(0, Math.floor((now - oldest) / 1000)),
        completedToday: await repo.countCompletedSince(db, queueId, today),
        leaseExpiriesToday: await repo.countEventsSince(db, queueId, 'lease_expired', today),
        leaseExpiriesTotal: await repo.countEventsSince(db, queueId, 'lease_expired', 0),
        time: new Date(now).toISOString(),
      };
    },

    /** Puts every item whose lease ran out back in its queue; returns how many. */
    async expireLeases(): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await batcher.run(async (trx) => {
          const now = clock.now();
          const rows = await repo.requeueExpired(trx, { now, limit: EXPIRE_BATCH, skipLocked: deps.skipLocked });
          await repo.insertEvents(
            trx,
            rows.map((r) => event(r, 'lease_expired', r.agent_id, now)),
          );
          await deps.events.recordMany(
            trx,
            rows.flatMap((r) => published(r, 'lease_expired', r.agent_id)),
          );
          return rows.length;
        });
        total += n;
        if (n < EXPIRE_BATCH) return total;
      }
    },
  };
}
