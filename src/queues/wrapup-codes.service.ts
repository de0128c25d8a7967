import { listing, type Paging } from '../agents/agents.views.js';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/schema.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { QueuesService } from './queues.service.js';
import * as repo from './wrapup-codes.repo.js';

export interface WrapupCodeView {
  id: string;
  name: string;
  dateCreated: string;
  dateModified: string;
  selfUri: string;
}

const view = (row: repo.WrapupCodeRow): WrapupCodeView => ({
  id: row.id,
  name: row.name,
  dateCreated: new Date(Number(row.created_at)).toISOString(),
  dateModified: new Date(Number(row.updated_at)).toISOString(),
  selfUri: `/api/v2/routing/wrapupcodes/${row.id}`,
});

export type WrapupCodesService = ReturnType<typeof createWrapupCodesService>;

/** Wrap-up codes of an organization, and the list of them each queue offers. */
export function createWrapupCodesService({ db, clock, queues }: { db: Db; clock: Clock; queues: QueuesService }) {
  const nameTaken = (name: string) => conflict('wrapupcode.name.exists', `A wrap-up code named "${name}" already exists.`);
  async function requireCode(orgId: string, id: string) {
    const row = await repo.findCode(db, orgId, id);
    if (!row) throw notFound(`Wrap-up code ${id}`);
    return row;
  }

  return {
    async create(orgId: string, name: string) {
      if (await repo.findCodeByName(db, orgId, name)) throw nameTaken(name);
      const now = clock.now();
      const row = { id: newId(now), org_id: orgId, name, created_at: now, updated_at: now };
      try {
        await repo.insertCode(db, row);
      } catch (cause) {
        // Two creations raced past the check; the unique index kept one.
        if (await repo.findCodeByName(db, orgId, name)) throw nameTaken(name);
        throw cause;
      }
      return view(row);
    },

    get: async (orgId: string, id: string) => view(await requireCode(orgId, id)),

    async list(orgId: string, paging: Paging) {
      const rows = await repo.listCodes(db, orgId, paging.pageSize, (paging.pageNumber - 1) * paging.pageSize);
      return listing(rows.map(view), await repo.countCodes(db, orgId), paging, '/api/v2/routing/wrapupcodes');
    },

    async rename(orgId: string, id: string, name: string) {
      const row = await requireCode(orgId, id);
      const other = await repo.findCodeByName(db, orgId, name);
      if (other && other.id !== id) throw nameTaken(name);
      await repo.renameCode(db, orgId, id, name, clock.now());
      return view({ ...row, name, updated_at: clock.now() });
    },

    /** Also takes it off every queue's list (completed items keep the id they were completed with). */
    async remove(orgId: string, id: string) {
      await requireCode(orgId, id);
      await repo.deleteCode(db, orgId, id);
    },

    async listForQueue(orgId: string, queueId: string) {
      await queues.get(orgId, queueId);
      const rows = await repo.listQueueCodes(db, queueId);
      return listing(rows.map(view), rows.length, { pageSize: Math.max(rows.length, 1), pageNumber: 1 }, `/api/v2/routing/queues/${queueId}/wrapupcodes`);
    },

    /** Adds codes of the organization to a queue's list (those already on it stay); an unknown id is a 400 naming its index. */
    async addToQueue(orgId: string, queueId: string, ids: string[]) {
      await queues.get(orgId, queueId);
      const known = new Map((await repo.findCodes(db, orgId, ids)).map((r) => [r.id, r]));
      const unknown = ids.findIndex((id) => !known.has(id));
      if (unknown >= 0) throw badRequest(`[${unknown}].id`, `Wrap-up code ${ids[unknown]} is not a wrap-up code of this organization.`);
      const now = clock.now();
      await repo.insertQueueCodes(
        db,
        [...known.keys()].map((code_id) => ({ queue_id: queueId, code_id, org_id: orgId, added_at: now })),
      );
      return [...known.values()].map(view);
    },

    async removeFromQueue(orgId: string, queueId: string, codeId: string) {
      await queues.get(orgId, queueId);
      const r = await repo.deleteQueueCode(db, queueId, codeId);
      if (Number(r.numDeletedRows) === 0) throw notFound(`Wrap-up code ${codeId} on queue ${queueId}`);
    },

    /**
     * The code an item of `queueId` may be completed with, checked inside the completing
     * transaction: one of the queue's codes; in a queue that offers none, no code or any code of
     * the organization. A 400 naming `wrapupCode` otherwise.
     */
    async checkForCompletion(ex: Executor, orgId: string, queueId: string, code: string | undefined): Promise<string | null> {
      const offered = await repo.listQueueCodes(ex, queueId);
      if (offered.length > 0) {
        if (code === undefined)
          throw badRequest('wrapupCode', `wrapupCode: is required: this queue offers ${offered.length} wrap-up code(s) (GET /api/v2/routing/queues/${queueId}/wrapupcodes).`);
        if (!offered.some((c) => c.id === code)) throw badRequest('wrapupCode', `wrapupCode: "${code}" is not one of the wrap-up codes of queue ${queueId}.`);
        return code;
      }
      if (code === undefined) return null;
      if (!(await repo.findCode(ex, orgId, code))) throw badRequest('wrapupCode', `wrapupCode: "${code}" is not a wrap-up code of this organization.`);
      return code;
    },
  };
}
