import type { Db, Executor } from '../db/schema.js';

// The timeline of a Dynamics record (regardingobjectid): the messages of configurations shown on
// the timeline that concern it, and everything else in their conversations (the customers'
// replies, agents' answers), newest first. A configuration with the timeline off records no
// regardingobjectid (invoke.service.ts), so its messages are never found here.

export interface TimelineEntry {
  id: string;
  conversationId: string;
  direction: 'outbound' | 'inbound';
  senderType: string;
  from: string;
  to: string;
  subject: string;
  status: string;
  time: string;
  configurationId?: string;
  entityRelationshipName?: string;
  locale?: string;
  selfUri: string;
}

/** The messages of one record's conversations; outbound ones of a configuration off the timeline are left out. */
function query(ex: Executor, orgId: string, regardingObjectId: string) {
  const conversations = ex
    .selectFrom('outbound_messages as om')
    .innerJoin('messages as first', 'first.id', 'om.message_id')
    .select('first.conversation_id')
    .where('om.org_id', '=', orgId)
    .where('om.regarding_object_id', '=', regardingObjectId)
    .where('om.show_in_timeline', '=', 1);
  return ex
    .selectFrom('messages as m')
    .leftJoin('outbound_messages as o', 'o.message_id', 'm.id')
    .where('m.org_id', '=', orgId)
    .where('m.conversation_id', 'in', conversations)
    .where((eb) => eb.or([eb('o.message_id', 'is', null), eb('o.show_in_timeline', '=', 1)]));
}

export type TimelineService = ReturnType<typeof createTimeline>;

export function createTimeline(db: Db) {
  return {
    async list(orgId: string, regardingObjectId: string, paging: { pageSize: number; pageNumber: number }): Promise<{ entities: TimelineEntry[]; total: number }> {
      const [rows, count] = await Promise.all([
        query(db, orgId, regardingObjectId)
          .select(['m.id', 'm.conversation_id', 'm.direction', 'm.sender_type', 'm.from_email', 'm.to_email', 'm.subject', 'm.status', 'm.created_at'])
          .select(['o.configuration_id', 'o.entity_relationship_name', 'o.locale'])
          .orderBy('m.created_at', 'desc')
          .orderBy('m.id', 'desc')
          .limit(paging.pageSize)
          .offset((paging.pageNumber - 1) * paging.pageSize)
          .execute(),
        query(db, orgId, regardingObjectId)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      const entities = rows.map((r) => ({
        id: r.id,
        conversationId: r.conversation_id,
        direction: r.direction as TimelineEntry['direction'],
        senderType: r.sender_type,
        from: r.from_email,
        to: r.to_email,
        subject: r.subject ?? '',
        status: r.status,
        time: new Date(Number(r.created_at)).toISOString(),
        ...(r.configuration_id ? { configurationId: r.configuration_id } : {}),
        ...(r.entity_relationship_name ? { entityRelationshipName: r.entity_relationship_name } : {}),
        ...(r.locale ? { locale: r.locale } : {}),
        selfUri: `/api/v2/conversations/emails/${r.conversation_id}/messages/${r.id}`,
      }));
      return { entities, total: Number(count.n) };
    },
  };
}
