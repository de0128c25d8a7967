import type { AgentsService } from '../agents/agents.service.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/schema.js';
import type { QueuesService, QueueView } from '../queues/queues.service.js';
import * as repo from './acd.repo.js';
import type { AcdService } from './acd.service.js';
import { workItemView } from './acd.views.js';

export interface Viewer {
  userId: string;
  /** Holds acd:workitem:view: sees every item of the organization. */
  supervisor: boolean;
}

/** The events that change what an agent's inbox shows. */
export const INBOX_EVENT_TYPES = ['workitem.created', 'workitem.assigned', 'workitem.requeued', 'workitem.completed', 'inbound.received'] as const;

export type AgentInbox = ReturnType<typeof createAgentInbox>;

/** What one agent works from: their queues with the waiting work, the items they hold, and which events concern them. */
export function createAgentInbox(deps: { db: Db; clock: Clock; acd: AcdService; agents: AgentsService; queues: QueuesService }) {
  const { db, clock } = deps;
  return {
    /** The agent's queues, by name, each with its statistics (waiting, oldest wait, in progress). */
    async queues(orgId: string, userId: string) {
      const ids = new Set(await deps.agents.memberQueueIds(db, userId));
      const mine = (await deps.queues.list(orgId)).filter((q) => ids.has(q.id));
      const out: Array<QueueView & { stats: Awaited<ReturnType<AcdService['stats']>> }> = [];
      for (const q of mine) out.push({ ...q, stats: await deps.acd.stats(orgId, q.id) });
      return out;
    },

    /** The items the agent holds now. */
    held: async (orgId: string, userId: string) => (await repo.listHeld(db, orgId, userId, clock.now())).map((r) => workItemView(r, clock.now())),

    /**
     * A test for events of the log: whether one concerns the viewer (an item of one of their
     * queues, one they hold, or a reply to such an item's conversation). Made once per batch:
     * the viewer's queues are read once.
     */
    async concerning(orgId: string, viewer: Viewer) {
      if (viewer.supervisor) return async () => true;
      const queueIds = new Set(await deps.agents.memberQueueIds(db, viewer.userId));
      const itemConcerns = (queueId: unknown, agentId: unknown) => (typeof queueId === 'string' && queueIds.has(queueId)) || agentId === viewer.userId;
      return async (e: { type: string; data: Record<string, unknown> }) => {
        if (e.type !== 'inbound.received') return itemConcerns(e.data.queueId, e.data.agentId) || itemConcerns(e.data.fromQueueId, undefined);
        if (typeof e.data.conversationId !== 'string') return false;
        const open = await repo.findOpenForConversation(db, e.data.conversationId);
        if (!open || open.org_id !== orgId) return false;
        const row = await repo.findItem(db, orgId, open.id);
        return row !== undefined && itemConcerns(row.queue_id, row.agent_id);
      };
    },
  };
}
