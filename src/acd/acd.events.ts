import type { NewEvent } from '../events/events.service.js';
import type { EventType } from '../events/events.views.js';

/**
 * The event log's name for each change of a work item's history. An item that goes back to a
 * queue uncompleted (declined, transferred, its lease expired) is `workitem.requeued`, not
 * `assigned`: nobody holds it. Extending a lease, an offer (told in `workitem.created`) and a
 * reply joining an open item (told by its `inbound.received`) change no assignment: no event.
 */
const PUBLISHED: Record<string, { type: EventType; reason?: string } | undefined> = {
  leased: { type: 'workitem.assigned' },
  completed: { type: 'workitem.completed' },
  declined: { type: 'workitem.requeued', reason: 'declined' },
  transferred: { type: 'workitem.requeued', reason: 'transferred' },
  lease_expired: { type: 'workitem.requeued', reason: 'leaseExpired' },
};

type ItemRef = { id: string; org_id: string; queue_id: string; conversation_id: string };

/** The event a history entry announces, if any; `queueId`: where the item is now. */
export function published(row: ItemRef, kind: string, agentId: string | null, queueId = row.queue_id, more: Record<string, unknown> = {}): NewEvent[] {
  const p = PUBLISHED[kind];
  if (!p) return [];
  const data = { workItemId: row.id, conversationId: row.conversation_id, queueId, ...(agentId ? { agentId } : {}), ...(p.reason ? { reason: p.reason } : {}), ...more };
  return [{ orgId: row.org_id, type: p.type, data }];
}
