import type { Executor, QueueMembersTable, UsersTable } from '../db/schema.js';

export type UserRow = UsersTable;

export const insertUser = (db: Executor, row: UserRow) => db.insertInto('users').values(row).execute();

export const findUser = (db: Executor, orgId: string, id: string) => db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();

export const findActiveByEmail = (db: Executor, orgId: string, email: string) =>
  db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('email', '=', email).where('deleted_at', 'is', null).executeTakeFirst();

/** The organizations where an active user has this email (the console's sign-in names no organization). */
export const orgsWithActiveEmail = async (db: Executor, email: string, limit: number) =>
  (await db.selectFrom('users').select('org_id').where('email', '=', email).where('deleted_at', 'is', null).orderBy('org_id').limit(limit).execute()).map((r) => r.org_id);

export const findActiveByIds = (db: Executor, orgId: string, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', 'in', ids).where('deleted_at', 'is', null).execute();

export const listUsers = (db: Executor, orgId: string, limit: number, offset: number) =>
  db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('deleted_at', 'is', null).orderBy('name').orderBy('id').limit(limit).offset(offset).execute();

export const countUsers = async (db: Executor, orgId: string) =>
  Number(
    (
      await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_id', '=', orgId)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

export const markDeleted = (db: Executor, orgId: string, id: string, at: number) =>
  db.updateTable('users').set({ deleted_at: at }).where('org_id', '=', orgId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();

export const updateUser = (db: Executor, orgId: string, id: string, set: Partial<Pick<UserRow, 'name' | 'permissions'>>) =>
  db.updateTable('users').set(set).where('org_id', '=', orgId).where('id', '=', id).where('deleted_at', 'is', null).execute();

/** The new hash, and the credentials version raised in the same statement, so two changes at once both count. */
export const replacePassword = (db: Executor, orgId: string, id: string, passwordHash: string) =>
  db
    .updateTable('users')
    .set((eb) => ({ password_hash: passwordHash, credentials_version: eb('credentials_version', '+', 1) }))
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();

export const insertMembers = (db: Executor, rows: QueueMembersTable[]) =>
  rows.length === 0
    ? Promise.resolve()
    : db
        .insertInto('queue_members')
        .values(rows)
        .onConflict((oc) => oc.columns(['queue_id', 'user_id']).doNothing())
        .execute();

export const deleteMembers = (db: Executor, queueId: string, userIds: string[]) =>
  db.deleteFrom('queue_members').where('queue_id', '=', queueId).where('user_id', 'in', userIds).executeTakeFirst();

export const deleteMembershipsOf = (db: Executor, userId: string) => db.deleteFrom('queue_members').where('user_id', '=', userId).execute();

export const listMembers = (db: Executor, queueId: string, limit: number, offset: number) =>
  db
    .selectFrom('queue_members')
    .innerJoin('users', 'users.id', 'queue_members.user_id')
    .select(['users.id', 'users.name', 'users.email', 'queue_members.joined_at'])
    .where('queue_members.queue_id', '=', queueId)
    .orderBy('users.name')
    .orderBy('users.id')
    .limit(limit)
    .offset(offset)
    .execute();

export const countMembers = async (db: Executor, queueId: string) =>
  Number(
    (
      await db
        .selectFrom('queue_members')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('queue_id', '=', queueId)
        .executeTakeFirstOrThrow()
    ).n,
  );

export const isMember = async (db: Executor, queueId: string, userId: string) =>
  (await db.selectFrom('queue_members').select('user_id').where('queue_id', '=', queueId).where('user_id', '=', userId).executeTakeFirst()) !== undefined;

export const memberQueueIds = async (db: Executor, userId: string) =>
  (await db.selectFrom('queue_members').select('queue_id').where('user_id', '=', userId).execute()).map((r) => r.queue_id);
