import type { Executor, OutboundConfigurationsTable, OutboundMessagesTable } from '../db/schema.js';

export const insertConfiguration = (db: Executor, row: OutboundConfigurationsTable) => db.insertInto('outbound_configurations').values(row).execute();
export const findConfiguration = (db: Executor, orgId: string, id: string) =>
  db.selectFrom('outbound_configurations').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const listConfigurations = (db: Executor, orgId: string) => db.selectFrom('outbound_configurations').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id').execute();
export const updateConfiguration = (db: Executor, orgId: string, id: string, set: Omit<OutboundConfigurationsTable, 'id' | 'org_id' | 'created_at'>) =>
  db.updateTable('outbound_configurations').set(set).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const deleteConfiguration = (db: Executor, orgId: string, id: string) => db.deleteFrom('outbound_configurations').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const configurationsUsing = (db: Executor, orgId: string, templateId: string) =>
  db.selectFrom('outbound_configurations').select(['id', 'name']).where('org_id', '=', orgId).where('template_id', '=', templateId).orderBy('name').execute();

/** One statement for an invocation's messages, whatever their number. */
export const insertSent = async (db: Executor, rows: OutboundMessagesTable[]) => {
  if (rows.length > 0) await db.insertInto('outbound_messages').values(rows).execute();
};
