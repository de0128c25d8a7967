import { compiled, LIMIT_ONE } from '../db/compiled.js';
import type { Executor } from '../db/schema.js';
import type { EventRow } from '../events/events.views.js';

/**
 * The lane an event travels in to a subscription: events of one lane arrive in the order they
 * happened, one at a time; lanes do not wait for each other. A conversation is a lane, which is
 * the order the contract promises. An event without one goes in the lane of what it concerns,
 * so that what a receiver builds from such events still sees them in order: a suppression's
 * address (added, then removed), a domain (its verification changes), a work item, a message,
 * another webhook (its failures). Only an event that names none of these goes alone: nothing
 * could come out of order with it.
 */
export function laneOf(type: string, data: Record<string, unknown>, eventId: string): string {
  const key = (name: string) => (typeof data[name] === 'string' && data[name] !== '' ? (data[name] as string) : null);
  const conversation = key('conversationId');
  if (conversation) return `conversation:${conversation}`;
  // A suppression names the message that caused it, but is about the address.
  if (type.startsWith('suppression.') && key('email')) return `email:${key('email')}`;
  for (const name of ['domain', 'workItemId', 'messageId', 'email', 'quarantineId', 'webhookId']) {
    const v = key(name);
    if (v) return `${name}:${v}`;
  }
  return `event:${eventId}`;
}

export const laneOfRow = (row: EventRow) => laneOf(row.type, JSON.parse(row.data) as Record<string, unknown>, row.id);

/** An event handed to a subscription's lanes. */
export interface Handed {
  eventId: string;
  lane: string;
  tx: number;
  seq: number;
}

/**
 * Adds events, in log order, to the ends of their lanes: the first of a lane that had nothing
 * waiting becomes its head, due now; the others wait behind. An event already waiting is not
 * added twice (a replay of it). Runs inside the subscription's dispatch job, one at a time.
 */
export async function hand(ex: Executor, subscriptionId: string, events: readonly Handed[], now: number): Promise<void> {
  if (events.length === 0) return;
  const lanes = [...new Set(events.map((e) => e.lane))];
  const busy = new Set<string>();
  // Bounded IN lists: a batch may touch hundreds of lanes.
  for (let i = 0; i < lanes.length; i += 500) {
    const rows = await ex
      .selectFrom('webhook_deliveries')
      .select('lane')
      .distinct()
      .where('subscription_id', '=', subscriptionId)
      .where('lane', 'in', lanes.slice(i, i + 500))
      .execute();
    for (const r of rows) busy.add(r.lane);
  }
  const rows = events.map((e) => {
    const head = !busy.has(e.lane);
    busy.add(e.lane);
    return { subscription_id: subscriptionId, event_id: e.eventId, lane: e.lane, event_tx: e.tx, event_seq: e.seq, tries: 0, next_at: head ? now : null };
  });
  for (let i = 0; i < rows.length; i += 200) {
    await ex
      .insertInto('webhook_deliveries')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
      .execute();
  }
}

// Compiled once: these run for every event delivered.
const removeOnce = compiled((ex: Executor, v: { subscriptionId: string; eventId: string }) =>
  ex.deleteFrom('webhook_deliveries').where('subscription_id', '=', v.subscriptionId).where('event_id', '=', v.eventId),
);
const nextOnce = compiled((ex: Executor, v: { subscriptionId: string; lane: string }) =>
  ex.selectFrom('webhook_deliveries').select('event_id').where('subscription_id', '=', v.subscriptionId).where('lane', '=', v.lane).orderBy('event_tx').orderBy('event_seq').limit(LIMIT_ONE),
);
const setOnce = compiled((ex: Executor, v: { subscriptionId: string; eventId: string; tries: number; at: number }) =>
  ex.updateTable('webhook_deliveries').set({ tries: v.tries, next_at: v.at }).where('subscription_id', '=', v.subscriptionId).where('event_id', '=', v.eventId),
);

/** The head is done with (delivered or dead): the lane's next event becomes its head, due now. */
export async function finish(ex: Executor, subscriptionId: string, lane: string, eventId: string, now: number): Promise<void> {
  await removeOnce(ex, { subscriptionId, eventId });
  const next = (await nextOnce(ex, { subscriptionId, lane })).rows[0];
  if (next) await setOnce(ex, { subscriptionId, eventId: next.event_id, tries: 0, at: now });
}

/** The head failed and is tried again at `at`. */
export const retryAt = (ex: Executor, subscriptionId: string, eventId: string, tries: number, at: number) => setOnce(ex, { subscriptionId, eventId, tries, at });

/** Every waiting head is tried now (the subscription was enabled again). */
export const headsDueNow = (ex: Executor, subscriptionId: string, now: number) =>
  ex.updateTable('webhook_deliveries').set({ next_at: now }).where('subscription_id', '=', subscriptionId).where('next_at', '>', now).execute();

/** Per subscription, the soonest retry of a head that failed. */
export async function nextRetries(ex: Executor, subscriptionIds: readonly string[]): Promise<Map<string, number>> {
  if (subscriptionIds.length === 0) return new Map();
  const rows = await ex
    .selectFrom('webhook_deliveries')
    .select((eb) => ['subscription_id', eb.fn.min<number>('next_at').as('at')])
    .where('subscription_id', 'in', subscriptionIds)
    .where('tries', '>', 0)
    .groupBy('subscription_id')
    .execute();
  return new Map(rows.filter((r) => r.at !== null).map((r) => [r.subscription_id, Number(r.at)]));
}
