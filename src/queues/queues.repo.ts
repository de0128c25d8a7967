import type { Executor, QueuesTable } from '../db/schema.js';

export const insertQueue = (db: Executor, row: QueuesTable) => db.insertInto('queues').values(row).execute();
export const findQueue = (db: Executor, orgId: string, id: string) => db.selectFrom('queues').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
export const findQueueByName = (db: Executor, orgId: string, name: string) => db.selectFrom('queues').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
export const listQueues = (db: Executor, orgId: string) => db.selectFrom('queues').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
export const deleteQueue = (db: Executor, orgId: string, id: string) => db.deleteFrom('queues').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
