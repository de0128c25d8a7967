import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/schema.js';
import { AppError, badRequest, notFound, unauthorized } from '../errors.js';
import { newId } from '../ids.js';
import * as repo from './auth.repo.js';
import type { LoginThrottle } from './login-throttle.js';
import { checkGrantable, intersectPermissions, isPermissionString } from './permissions.js';
import { type AccessTokenClaims, hashSecret, newClientSecret, signAccessToken, verifyAccessToken, verifySecret } from './secrets.js';

export interface Principal {
  orgId: string;
  clientId: string;
  /** Set for tokens of the password grant; the permissions are then those both the user and the client hold. */
  userId?: string;
  permissions: string[];
}

/** The users (agents) the password grant logs in; the agents area provides it. */
export interface UserDirectory {
  /** The active user of the organization with this username, when the password is right. */
  verifyPassword(orgId: string, username: string, password: string): Promise<{ id: string; permissions: string[]; credentialsVersion: number } | null>;
  findActive(orgId: string, userId: string): Promise<{ id: string; permissions: string[]; credentialsVersion: number } | null>;
  /** The organizations with an active user of this username (the console's sign-in names none). */
  orgsOf(username: string): Promise<string[]>;
}

/** A user signed in by password, acting with their own permissions (the web console). */
export interface SignedInUser {
  orgId: string;
  userId: string;
  permissions: string[];
  credentialsVersion: number;
}

/** The principal of the console's client-less sessions. */
export const CONSOLE_CLIENT_ID = 'console';

export interface ClientView {
  id: string;
  name: string;
  authorizedGrantType: 'CLIENT-CREDENTIALS';
  permissions: string[];
  dateCreated: string;
}

export interface OrganizationView {
  id: string;
  name: string;
  agentlessEmailRateLimitPerMinute: number;
  /** A send to a suppressed address: `refuse`d (400 recipient.suppressed) or `record`ed as suppressed, never sent. */
  suppressedSends: SuppressedSends;
  dateCreated: string;
}

export type SuppressedSends = 'refuse' | 'record';

const TOKEN_TTL_SECONDS = 86_400; // Genesys's client-credentials tokens also last a day.
const CLIENT_CACHE_MS = 10_000; // how long a disabled client's tokens may still work
const MAX_VERIFIED_TOKENS = 10_000;

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: { db: Db; clock: Clock; tokenKey: Buffer; defaultRateLimitPerMinute: number; users?: UserDirectory; loginThrottle?: LoginThrottle }) {
  const { db, clock, tokenKey } = deps;
  // With a user's principal, the version of their credentials its tokens must carry.
  const cache = new TtlCache<string, { principal: Principal; credentialsVersion?: number } | null>({ max: 10_000, ttlMs: CLIENT_CACHE_MS, clock });
  // A client sends the same token for a day: check its signature once, its expiry every time.
  const verified = new TtlCache<string, AccessTokenClaims>({ max: MAX_VERIFIED_TOKENS, ttlMs: 0 });
  function claimsOf(token: string, now: number): AccessTokenClaims | null {
    let claims = verified.get(token);
    if (!claims) {
      const fresh = verifyAccessToken(tokenKey, token, now);
      if (!fresh) return null;
      verified.set(token, fresh);
      claims = fresh;
    }
    return claims.expiresAt > now ? claims : null;
  }

  const clientView = (row: repo.ClientRow): ClientView => ({
    id: row.id,
    name: row.name,
    authorizedGrantType: 'CLIENT-CREDENTIALS',
    permissions: JSON.parse(row.permissions) as string[],
    dateCreated: new Date(Number(row.created_at)).toISOString(),
  });
  const orgView = (row: repo.OrganizationRow): OrganizationView => ({
    id: row.id,
    name: row.name,
    agentlessEmailRateLimitPerMinute: row.rate_limit_per_minute,
    suppressedSends: row.suppressed_sends === 'record' ? 'record' : 'refuse',
    dateCreated: new Date(Number(row.created_at)).toISOString(),
  });

  async function verifyClient(clientId: string, secret: string) {
    const row = await repo.findClient(db, clientId);
    const ok = row !== undefined && row.disabled_at === null && (await verifySecret(secret, row.secret_hash));
    if (!ok || !row) throw new AppError(401, 'invalid_client', 'The client id or secret is wrong, or the client is disabled.');
    return row;
  }

  function tokenResponse(claims: { clientId: string; orgId: string; userId?: string; credentialsVersion?: number }) {
    const expiresAt = clock.now() + TOKEN_TTL_SECONDS * 1000;
    return {
      access_token: signAccessToken(tokenKey, { ...claims, expiresAt }),
      token_type: 'bearer' as const,
      expires_in: TOKEN_TTL_SECONDS,
    };
  }

  /** `grantor`: the creating caller's permissions, which must cover the new client's (absent only for `init`). */
  async function createClient(orgId: string, name: string, permissions: string[], grantor?: readonly string[]) {
    const bad = permissions.find((p) => !isPermissionString(p));
    if (bad !== undefined) throw badRequest('permissions', `"${bad}" is not a permission string like conversation:agentlessEmail:send`);
    if (grantor) checkGrantable(grantor, permissions);
    const secret = newClientSecret();
    const row: repo.ClientRow = {
      id: newId(clock.now()),
      org_id: orgId,
      name,
      secret_hash: await hashSecret(secret),
      permissions: JSON.stringify(permissions),
      created_at: clock.now(),
      disabled_at: null,
    };
    await repo.insertClient(db, row);
    return { ...clientView(row), secret };
  }

  /**
   * The one password check: throttled per user and client address, the count taken back on
   * success. Every organization in `orgIds` is tried (at least one hash is always computed, so
   * an unknown user answers as slowly as a wrong password); the throttle is that of the first.
   */
  async function checkPassword(orgIds: readonly string[], username: string, password: string, clientAddress: string) {
    // Refused before the password is checked: a right guess past the limit tells nothing.
    const attempt = await deps.loginThrottle?.begin(orgIds[0] ?? '', username, clientAddress);
    for (const orgId of orgIds.length > 0 ? orgIds : ['']) {
      const user = deps.users ? await deps.users.verifyPassword(orgId, username, password) : null;
      if (user) {
        await attempt?.succeeded();
        return { orgId, userId: user.id, permissions: user.permissions, credentialsVersion: user.credentialsVersion };
      }
    }
    // §5.2: invalid_grant, one message for an unknown user and a wrong password.
    throw new AppError(400, 'invalid_grant', 'The username or password is wrong.');
  }

  return {
    async createOrganization(name: string) {
      const row: repo.OrganizationRow = {
        id: newId(clock.now()),
        name,
        rate_limit_per_minute: deps.defaultRateLimitPerMinute,
        created_at: clock.now(),
        suppressed_sends: 'refuse',
      };
      await repo.insertOrganization(db, row);
      return orgView(row);
    },

    countOrganizations: () => repo.countOrganizations(db),

    findOrganizations: async (nameOrId: string) => (await repo.findOrganizationsByNameOrId(db, nameOrId)).map(orgView),

    listOrganizations: async (limit: number) => (await repo.listOrganizations(db, limit)).map(orgView),

    async getOrganization(orgId: string) {
      const row = await repo.findOrganization(db, orgId);
      if (!row) throw notFound('The organization');
      return orgView(row);
    },

    async updateOrganization(orgId: string, patch: { name?: string; agentlessEmailRateLimitPerMinute?: number; suppressedSends?: SuppressedSends }) {
      await repo.updateOrganization(db, orgId, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.suppressedSends !== undefined ? { suppressed_sends: patch.suppressedSends } : {}),
        ...(patch.agentlessEmailRateLimitPerMinute !== undefined ? { rate_limit_per_minute: patch.agentlessEmailRateLimitPerMinute } : {}),
      });
      return this.getOrganization(orgId);
    },

    createClient,

    async listClients(orgId: string) {
      return (await repo.listClients(db, orgId)).map(clientView);
    },

    async deleteClient(orgId: string, clientId: string) {
      const r = await repo.disableClient(db, orgId, clientId, clock.now());
      if (Number(r.numUpdatedRows) === 0) throw notFound(`OAuth client ${clientId}`);
      cache.deleteWhere((key) => key === clientId || key.startsWith(`${clientId}/`));
    },

    /** The client-credentials grant. One message for every failure: it must not reveal which part was wrong. */
    async issueToken(clientId: string, secret: string) {
      const row = await verifyClient(clientId, secret);
      return tokenResponse({ clientId: row.id, orgId: row.org_id });
    },

    /**
     * The password grant (RFC 6749 §4.3). Every client of ours is confidential, so the client
     * authenticates too (§4.3.2); the user must belong to the client's organization, and the
     * token carries only what both hold: a narrow client cannot be widened by logging a broad
     * user in through it, nor a narrow user by a broad client.
     */
    async issuePasswordToken(clientId: string, secret: string, username: string, password: string, clientAddress = 'unknown') {
      const row = await verifyClient(clientId, secret);
      const user = await checkPassword([row.org_id], username, password, clientAddress);
      return tokenResponse({ clientId: row.id, orgId: row.org_id, userId: user.userId, credentialsVersion: user.credentialsVersion });
    },

    /** The console's sign-in: a user's email and password, the same check as the password grant, in whichever organization they match. */
    async signIn(username: string, password: string, clientAddress = 'unknown'): Promise<SignedInUser> {
      const orgIds = deps.users ? await deps.users.orgsOf(username) : [];
      return checkPassword(orgIds, username, password, clientAddress);
    },

    /** A console session's principal: the user's own permissions while they stay active, else null. */
    async userPrincipal(orgId: string, userId: string): Promise<Principal | null> {
      const user = await deps.users?.findActive(orgId, userId);
      return user ? { orgId, clientId: CONSOLE_CLIENT_ID, userId: user.id, permissions: user.permissions } : null;
    },

    /** Resolves a bearer token to the client behind it. */
    async authenticate(token: string): Promise<Principal> {
      const now = clock.now();
      const claims = claimsOf(token, now);
      if (!claims) throw unauthorized('The bearer token is invalid or has expired; request a new one from POST /oauth/token.');
      const key = claims.userId === undefined ? claims.clientId : `${claims.clientId}/${claims.userId}`;
      let known = cache.get(key);
      if (known === undefined) {
        const row = await repo.findClient(db, claims.clientId);
        const client = row && row.disabled_at === null ? { orgId: row.org_id, clientId: row.id, permissions: JSON.parse(row.permissions) as string[] } : null;
        known = client && { principal: client };
        if (client && claims.userId !== undefined) {
          const user = await deps.users?.findActive(client.orgId, claims.userId);
          known = user
            ? { principal: { ...client, userId: user.id, permissions: intersectPermissions(user.permissions, client.permissions) }, credentialsVersion: user.credentialsVersion }
            : null;
        }
        cache.set(key, known);
      }
      if (!known || known.principal.orgId !== claims.orgId) throw unauthorized('The client or user behind this token is disabled or deleted.');
      if (claims.userId !== undefined && claims.credentialsVersion !== known.credentialsVersion)
        throw unauthorized("The bearer token was issued before the user's password changed; request a new one from POST /oauth/token.");
      return known.principal;
    },
  };
}
