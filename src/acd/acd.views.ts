import type { WorkItemEventRow, WorkItemRow } from './acd.repo.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A work item as agents and supervisors see it. Absent facts are null, never missing. */
export function workItemView(row: WorkItemRow, now: number) {
  const offerActive = row.offered_to !== null && row.offer_until !== null && Number(row.offer_until) > now;
  return {
    id: row.id,
    queueId: row.queue_id,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    priority: row.priority,
    state: row.state as 'waiting' | 'leased' | 'completed',
    dateEnqueued: iso(row.enqueued_at)!,
    offeredTo: offerActive ? row.offered_to : null,
    offerExpires: offerActive ? iso(row.offer_until) : null,
    agentId: row.agent_id,
    dateLeased: iso(row.leased_at),
    leaseExpires: iso(row.lease_until),
    leaseExpiries: row.lease_expiries,
    completedBy: row.completed_by,
    dateCompleted: iso(row.completed_at),
    wrapupCode: row.wrapup_code,
    notes: row.wrapup_notes,
    conversationUri: `/api/v2/conversations/emails/${row.conversation_id}`,
    selfUri: `/api/v2/acd/workitems/${row.id}`,
  };
}

export type WorkItemView = ReturnType<typeof workItemView>;

export const eventView = (e: WorkItemEventRow) => ({
  type: e.type,
  agentId: e.agent_id,
  detail: e.detail,
  time: iso(e.at)!,
});

/** Start of the UTC day that `now` falls in: "completed today" means since then. */
export const startOfUtcDay = (now: number) => now - (now % 86_400_000);
