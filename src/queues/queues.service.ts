import type { Clock } from '../clock.js';
import type { Db, QueuesTable } from '../db/schema.js';
import { conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as repo from './queues.repo.js';

export interface QueueView {
  id: string;
  name: string;
  dateCreated: string;
  selfUri: string;
}

const view = (row: QueuesTable): QueueView => ({
  id: row.id,
  name: row.name,
  dateCreated: new Date(Number(row.created_at)).toISOString(),
  selfUri: `/api/v2/routing/queues/${row.id}`,
});

export type QueuesService = ReturnType<typeof createQueuesService>;

export function createQueuesService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    async create(orgId: string, name: string) {
      if (await repo.findQueueByName(db, orgId, name)) throw conflict('queue.name.exists', `A queue named "${name}" already exists.`);
      const row = { id: newId(clock.now()), org_id: orgId, name, created_at: clock.now() };
      await repo.insertQueue(db, row);
      return view(row);
    },
    async list(orgId: string) {
      return (await repo.listQueues(db, orgId)).map(view);
    },
    async get(orgId: string, id: string) {
      const row = await repo.findQueue(db, orgId, id);
      if (!row) throw notFound(`Queue ${id}`);
      return view(row);
    },
    async remove(orgId: string, id: string) {
      await this.get(orgId, id);
      try {
        await repo.deleteQueue(db, orgId, id);
      } catch (cause) {
        // Only a foreign key can refuse this delete: routes and work items keep their queue.
        if (!/foreign key|violates/i.test(String((cause as Error).message))) throw cause;
        throw conflict('queue.in.use', `Queue ${id} is still used by an inbound route or by work items; move them to another queue first.`);
      }
    },
  };
}
