import type { UserDirectory } from '../auth/auth.service.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import { AGENT_PERMISSIONS, checkGrantable, isPermissionString, notHeld } from '../auth/permissions.js';
import { hashSecret, verifySecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import { deleteSessionsOf } from '../console/sessions.repo.js';
import type { Db, Executor } from '../db/schema.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { normalizeEmail } from '../mail/address.js';
import type { QueuesService } from '../queues/queues.service.js';
import * as repo from './agents.repo.js';
import { listing, memberView, type Paging, userView } from './agents.views.js';

export type AgentsService = ReturnType<typeof createAgentsService>;

export interface NewUser {
  name: string;
  email: string;
  password: string;
  permissions?: string[];
}

// One person may be a user of a few organizations under one email; the console tries each.
const MAX_ORGS_PER_EMAIL = 10;

export interface UserChanges {
  name?: string;
  permissions?: string[];
}

const checkPermissionStrings = (permissions: readonly string[]) => {
  const bad = permissions.find((p) => !isPermissionString(p));
  if (bad !== undefined) throw badRequest('permissions', `"${bad}" is not a permission string like acd:workitem:pull.`);
};

/**
 * A caller may change only a user whose permissions it holds itself: otherwise whoever may edit
 * users could narrow an administrator, or set their password and log in as them.
 */
function checkOutranks(grantor: readonly string[], row: repo.UserRow) {
  const missing = notHeld(grantor, JSON.parse(row.permissions) as string[]);
  if (missing.length === 0) return;
  throw new AppError(403, 'missing.any.permissions', `The caller cannot change this user: the user holds ${missing.join(', ')}, which the caller does not.`, [
    { errorCode: 'permission.not.held', fieldName: 'userId', entityName: missing[0]! },
  ]);
}

/** Users (agents) of an organization and their queue memberships. */
export function createAgentsService({ db, clock, queues, loginThrottle }: { db: Db; clock: Clock; queues: QueuesService; loginThrottle?: LoginThrottle }) {
  // Verifying against a throwaway hash when the user is unknown keeps the time of a failed
  // login the same whether or not the username exists.
  let decoy: Promise<string> | null = null;

  async function requireUser(orgId: string, id: string) {
    const row = await repo.findUser(db, orgId, id);
    if (!row || row.deleted_at !== null) throw notFound(`User ${id}`);
    return row;
  }

  async function replacePassword(orgId: string, id: string, password: string) {
    const hash = await hashSecret(password);
    await db.transaction().execute(async (trx) => {
      await repo.replacePassword(trx, orgId, id, hash);
      await deleteSessionsOf(trx, id);
    });
  }

  const directory: UserDirectory = {
    async verifyPassword(orgId, username, password) {
      const row = await repo.findActiveByEmail(db, orgId, normalizeEmail(username));
      if (!row) {
        decoy ??= hashSecret('threadline decoy password');
        await verifySecret(password, await decoy);
        return null;
      }
      if (!(await verifySecret(password, row.password_hash))) return null;
      return { id: row.id, permissions: JSON.parse(row.permissions) as string[], credentialsVersion: row.credentials_version };
    },
    orgsOf: (username) => repo.orgsWithActiveEmail(db, normalizeEmail(username), MAX_ORGS_PER_EMAIL),
    async findActive(orgId, userId) {
      const row = await repo.findUser(db, orgId, userId);
      return row && row.deleted_at === null ? { id: row.id, permissions: JSON.parse(row.permissions) as string[], credentialsVersion: row.credentials_version } : null;
    },
  };

  return {
    directory,

    /** `grantor`: the creating caller's permissions, which must cover the user's (the agent set too). */
    async createUser(orgId: string, input: NewUser, grantor: readonly string[]) {
      const permissions = input.permissions ?? AGENT_PERMISSIONS;
      checkPermissionStrings(permissions);
      checkGrantable(grantor, permissions);
      const email = normalizeEmail(input.email);
      const exists = () => conflict('user.email.exists', `A user with the email ${email} already exists.`);
      if (await repo.findActiveByEmail(db, orgId, email)) throw exists();
      const now = clock.now();
      const row: repo.UserRow = {
        id: newId(now),
        org_id: orgId,
        name: input.name,
        email,
        password_hash: await hashSecret(input.password),
        permissions: JSON.stringify(permissions),
        credentials_version: 0,
        created_at: now,
        deleted_at: null,
      };
      try {
        await repo.insertUser(db, row);
      } catch (cause) {
        // Two creations raced past the check above; the unique index kept one.
        if (await repo.findActiveByEmail(db, orgId, email)) throw exists();
        throw cause;
      }
      return userView(row);
    },

    async getUser(orgId: string, id: string) {
      return userView(await requireUser(orgId, id));
    },

    async listUsers(orgId: string, paging: Paging) {
      const rows = await repo.listUsers(db, orgId, paging.pageSize, (paging.pageNumber - 1) * paging.pageSize);
      return listing(rows.map(userView), await repo.countUsers(db, orgId), paging, '/api/v2/users');
    },

    /** Renames a user or replaces their permissions; their tokens and console sessions act with the new ones within seconds. */
    async updateUser(orgId: string, id: string, changes: UserChanges, grantor: readonly string[]) {
      const row = await requireUser(orgId, id);
      checkOutranks(grantor, row);
      if (changes.permissions !== undefined) {
        checkPermissionStrings(changes.permissions);
        checkGrantable(grantor, changes.permissions);
      }
      const set = {
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.permissions !== undefined ? { permissions: JSON.stringify(changes.permissions) } : {}),
      };
      if (Object.keys(set).length > 0) await repo.updateUser(db, orgId, id, set);
      return userView({ ...row, ...set });
    },

    /**
     * Sets a user's password (an administrator's reset): the tokens issued before stop working
     * (their credentials version is raised) and the user's console sessions end.
     */
    async setPassword(orgId: string, id: string, password: string, grantor: readonly string[]) {
      checkOutranks(grantor, await requireUser(orgId, id));
      await replacePassword(orgId, id, password);
    },

    /** A user's own change, which needs the current password: guesses count as failed logins (login-throttle.ts). */
    async changeOwnPassword(orgId: string, id: string, o: { oldPassword: string; newPassword: string; clientAddress: string }) {
      const row = await requireUser(orgId, id);
      const attempt = await loginThrottle?.begin(orgId, row.email, o.clientAddress);
      if (!(await verifySecret(o.oldPassword, row.password_hash))) throw badRequest('oldPassword', 'oldPassword: this is not the current password.');
      await attempt?.succeeded();
      await replacePassword(orgId, id, o.newPassword);
    },

    /** Soft delete: the user can no longer log in, their tokens stop working, their console sessions end, and they leave every queue. Only a user the caller outranks. */
    async deleteUser(orgId: string, id: string, grantor: readonly string[]) {
      checkOutranks(grantor, await requireUser(orgId, id));
      await db.transaction().execute(async (trx) => {
        await repo.markDeleted(trx, orgId, id, clock.now());
        await repo.deleteMembershipsOf(trx, id);
        await deleteSessionsOf(trx, id);
      });
    },

    async addMembers(orgId: string, queueId: string, userIds: string[]) {
      await queues.get(orgId, queueId);
      const known = new Set((await repo.findActiveByIds(db, orgId, userIds)).map((r) => r.id));
      const unknown = userIds.findIndex((id) => !known.has(id));
      if (unknown >= 0) throw badRequest(`${unknown}.id`, `User ${userIds[unknown]} is not a user of this organization.`);
      const now = clock.now();
      await repo.insertMembers(
        db,
        [...known].map((user_id) => ({ queue_id: queueId, user_id, org_id: orgId, joined_at: now })),
      );
    },

    async removeMembers(orgId: string, queueId: string, userIds: string[]) {
      await queues.get(orgId, queueId);
      return Number((await repo.deleteMembers(db, queueId, userIds)).numDeletedRows);
    },

    async listMembers(orgId: string, queueId: string, paging: Paging) {
      await queues.get(orgId, queueId);
      const rows = await repo.listMembers(db, queueId, paging.pageSize, (paging.pageNumber - 1) * paging.pageSize);
      return listing(rows.map(memberView), await repo.countMembers(db, queueId), paging, `/api/v2/routing/queues/${queueId}/members`);
    },

    /** Takes an executor: the ACD asks this inside its own transactions. */
    isMember: (ex: Executor, queueId: string, userId: string) => repo.isMember(ex, queueId, userId),
    memberQueueIds: (ex: Executor, userId: string) => repo.memberQueueIds(ex, userId),
  };
}
