import type { Executor, OauthClientsTable, OrganizationsTable } from '../db/schema.js';

export type OrganizationRow = OrganizationsTable;
export type ClientRow = OauthClientsTable;

export const insertOrganization = (db: Executor, row: OrganizationRow) => db.insertInto('organizations').values(row).execute();

export const findOrganization = (db: Executor, id: string) => db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();

/** The organizations an operator may mean by a name or an id (the command line takes either). */
export const findOrganizationsByNameOrId = (db: Executor, nameOrId: string) =>
  db
    .selectFrom('organizations')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', nameOrId), eb('id', '=', nameOrId)]))
    .orderBy('created_at')
    .execute();

export const listOrganizations = (db: Executor, limit: number) => db.selectFrom('organizations').selectAll().orderBy('created_at').limit(limit).execute();

export const countOrganizations = async (db: Executor) =>
  Number(
    (
      await db
        .selectFrom('organizations')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

export const updateOrganization = (db: Executor, id: string, patch: Partial<Pick<OrganizationRow, 'name' | 'rate_limit_per_minute' | 'suppressed_sends'>>) =>
  db.updateTable('organizations').set(patch).where('id', '=', id).execute();

export const insertClient = (db: Executor, row: ClientRow) => db.insertInto('oauth_clients').values(row).execute();

export const findClient = (db: Executor, id: string) => db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();

export const listClients = (db: Executor, orgId: string) =>
  db.selectFrom('oauth_clients').selectAll().where('org_id', '=', orgId).where('disabled_at', 'is', null).orderBy('created_at').execute();

export const disableClient = (db: Executor, orgId: string, id: string, at: number) =>
  db.updateTable('oauth_clients').set({ disabled_at: at }).where('org_id', '=', orgId).where('id', '=', id).where('disabled_at', 'is', null).executeTakeFirst();
