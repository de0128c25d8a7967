import type { Executor, OutboundTemplatesTable } from '../db/schema.js';

export const insertTemplate = (db: Executor, row: OutboundTemplatesTable) => db.insertInto('outbound_templates').values(row).execute();
export const findTemplate = (db: Executor, orgId: string, id: string) => db.selectFrom('outbound_templates').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const listTemplates = (db: Executor, orgId: string) => db.selectFrom('outbound_templates').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id').execute();
export const updateTemplate = (db: Executor, orgId: string, id: string, set: Pick<OutboundTemplatesTable, 'name' | 'channel' | 'default_locale' | 'localizations' | 'updated_at'>) =>
  db.updateTable('outbound_templates').set(set).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const deleteTemplate = (db: Executor, orgId: string, id: string) => db.deleteFrom('outbound_templates').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
