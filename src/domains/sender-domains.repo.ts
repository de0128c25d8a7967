import type { DkimKeysTable, Executor, SenderDomainsTable } from '../db/schema.js';

export const insertSenderDomain = (db: Executor, row: SenderDomainsTable) => db.insertInto('sender_domains').values(row).execute();
export const findSenderDomain = (db: Executor, id: string) => db.selectFrom('sender_domains').selectAll().where('id', '=', id).executeTakeFirst();
export const allSenderDomainNames = async (db: Executor) => (await db.selectFrom('sender_domains').select('id').execute()).map((r) => r.id);
export const listSenderDomains = (db: Executor, orgId: string) => db.selectFrom('sender_domains').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
export const deleteSenderDomain = async (db: Executor, orgId: string, id: string) => {
  await db.deleteFrom('dkim_keys').where('org_id', '=', orgId).where('domain_id', '=', id).execute();
  return db.deleteFrom('sender_domains').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
};

/**
 * Saves a check made on the domain as it was with status `seen`; false if its status changed
 * meanwhile (another instance's check saved first), so that one change is told once.
 */
export const saveCheck = async (db: Executor, id: string, seen: string, set: { status: string; check_results: string; checked_at: number; verified_at?: number | null }) =>
  Number((await db.updateTable('sender_domains').set(set).where('id', '=', id).where('status', '=', seen).executeTakeFirst()).numUpdatedRows) === 1;

/** Domains whose periodic check is due, oldest first. */
export const dueDomains = (db: Executor, now: number, limit: number) =>
  db.selectFrom('sender_domains').select(['id', 'next_check_at']).where('next_check_at', '<=', now).orderBy('next_check_at').limit(limit).execute();

/** Compare-and-set on next_check_at: true for exactly one of several instances racing for the check. */
export const claimCheck = async (db: Executor, id: string, seen: number, next: number) =>
  Number((await db.updateTable('sender_domains').set({ next_check_at: next }).where('id', '=', id).where('next_check_at', '=', seen).executeTakeFirst()).numUpdatedRows) === 1;

export const insertKey = (db: Executor, row: DkimKeysTable) => db.insertInto('dkim_keys').values(row).execute();
export const keysOf = (db: Executor, domainId: string) =>
  db.selectFrom('dkim_keys').selectAll().where('domain_id', '=', domainId).where('state', '!=', 'retired').orderBy('created_at').execute();
export const selectorsOf = async (db: Executor, domainId: string) => (await db.selectFrom('dkim_keys').select('selector').where('domain_id', '=', domainId).execute()).map((r) => r.selector);
export const activeKey = (db: Executor, domainId: string) =>
  db.selectFrom('dkim_keys').selectAll().where('domain_id', '=', domainId).where('state', '=', 'active').orderBy('activated_at', 'desc').executeTakeFirst();
export const updateKey = (db: Executor, id: string, set: Partial<Pick<DkimKeysTable, 'state' | 'dns_status' | 'activated_at' | 'retiring_at' | 'retired_at'>>) =>
  db.updateTable('dkim_keys').set(set).where('id', '=', id).execute();
