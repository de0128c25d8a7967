import type { Executor, InboundDomainsTable, InboundRoutesTable } from '../db/schema.js';

export const insertInboundDomain = (db: Executor, row: InboundDomainsTable) => db.insertInto('inbound_domains').values(row).execute();
export const findInboundDomain = (db: Executor, id: string) =>
  db.selectFrom('inbound_domains').selectAll().where('id', '=', id).executeTakeFirst();
export const listInboundDomains = (db: Executor, orgId: string) =>
  db.selectFrom('inbound_domains').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
export const deleteInboundDomain = (db: Executor, orgId: string, id: string) =>
  db.deleteFrom('inbound_domains').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

export const insertRoute = (db: Executor, row: InboundRoutesTable) => db.insertInto('inbound_routes').values(row).execute();
export const listRoutes = (db: Executor, orgId: string, domain: string) =>
  db.selectFrom('inbound_routes').selectAll().where('org_id', '=', orgId).where('domain_name', '=', domain).orderBy('priority', 'desc').orderBy('created_at').execute();
export const deleteRoute = (db: Executor, orgId: string, domain: string, id: string) =>
  db.deleteFrom('inbound_routes').where('org_id', '=', orgId).where('domain_name', '=', domain).where('id', '=', id).executeTakeFirst();
export const countRoutesForDomain = async (db: Executor, domain: string) =>
  Number((await db.selectFrom('inbound_routes').select((eb) => eb.fn.countAll().as('n')).where('domain_name', '=', domain).executeTakeFirstOrThrow()).n);
