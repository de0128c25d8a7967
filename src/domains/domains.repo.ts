import type { Executor, InboundDomainClaimsTable, InboundDomainsTable, InboundRoutesTable } from '../db/schema.js';

export const insertInboundDomain = (db: Executor, row: InboundDomainsTable) => db.insertInto('inbound_domains').values(row).execute();
export const findInboundDomain = (db: Executor, id: string) => db.selectFrom('inbound_domains').selectAll().where('id', '=', id).executeTakeFirst();
export const listInboundDomains = (db: Executor, orgId: string) => db.selectFrom('inbound_domains').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
export const deleteInboundDomain = (db: Executor, orgId: string, id: string) => db.deleteFrom('inbound_domains').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

export const insertRoute = (db: Executor, row: InboundRoutesTable) => db.insertInto('inbound_routes').values(row).execute();
export const listRoutes = (db: Executor, orgId: string, domain: string) =>
  db.selectFrom('inbound_routes').selectAll().where('org_id', '=', orgId).where('domain_name', '=', domain).orderBy('priority', 'desc').orderBy('created_at').execute();
export const deleteRoute = (db: Executor, orgId: string, domain: string, id: string) =>
  db.deleteFrom('inbound_routes').where('org_id', '=', orgId).where('domain_name', '=', domain).where('id', '=', id).executeTakeFirst();
export const countRoutesForDomain = async (db: Executor, domain: string) =>
  Number(
    (
      await db
        .selectFrom('inbound_routes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('domain_name', '=', domain)
        .executeTakeFirstOrThrow()
    ).n,
  );

export const insertClaim = (db: Executor, row: InboundDomainClaimsTable) => db.insertInto('inbound_domain_claims').values(row).execute();
export const findClaim = (db: Executor, orgId: string, name: string) =>
  db.selectFrom('inbound_domain_claims').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
export const listClaims = (db: Executor, orgId: string) => db.selectFrom('inbound_domain_claims').selectAll().where('org_id', '=', orgId).orderBy('created_at').execute();
export const deleteClaim = (db: Executor, orgId: string, name: string) => db.deleteFrom('inbound_domain_claims').where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
/** Saves a check of the claim as it was with status `seen`; false if its status changed meanwhile. */
export const saveClaimCheck = async (db: Executor, id: string, seen: InboundDomainClaimsTable['status'], set: Pick<InboundDomainClaimsTable, 'status' | 'check_detail' | 'checked_at'>) =>
  Number((await db.updateTable('inbound_domain_claims').set(set).where('id', '=', id).where('status', '=', seen).executeTakeFirst()).numUpdatedRows) === 1;
