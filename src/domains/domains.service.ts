import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';
import type { Db, Executor, InboundDomainClaimsTable, InboundDomainsTable, InboundRoutesTable } from '../db/schema.js';
import type { DnsResolver } from '../dns/resolver.js';
import { badRequest, conflict, notFound } from '../errors.js';
import type { EventsService } from '../events/events.service.js';
import { newId } from '../ids.js';
import { normalizeDomain, type RecordStatus } from './dns-check.js';
import * as repo from './domains.repo.js';
import { checkOwnership, newOwnershipToken, ownershipRecord } from './inbound-ownership.js';

// Inbound domains (replies are received for them) and their routes to queues. Sender
// domains are in sender-domains.ts. A domain added through the API is a claim until its TXT
// token is published and checked; only verified domains receive mail and take routes.

export interface InboundDomainView {
  id: string;
  name: string;
  subDomain: boolean;
  /** VERIFIED: receives mail; otherwise the last check of the TXT record. */
  verificationStatus: RecordStatus;
  /** The record to publish, while the domain is not verified. */
  verificationRecord?: { host: string; type: 'TXT'; value: string };
  verificationDetail?: string;
  dateChecked?: string | null;
  dateCreated: string;
  selfUri: string;
}

export interface RouteView {
  id: string;
  pattern: string;
  queue: { id: string; selfUri: string };
  priority: number;
  selfUri: string;
}

const PATTERN_RE = /^(\*|[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})$/;

const iso = (ms: number) => new Date(Number(ms)).toISOString();
const inboundView = (r: InboundDomainsTable): InboundDomainView => ({
  id: r.id,
  name: r.name,
  subDomain: false,
  verificationStatus: 'VERIFIED',
  dateCreated: iso(r.created_at),
  selfUri: `/api/v2/routing/email/domains/${r.id}`,
});
const claimView = (c: InboundDomainClaimsTable): InboundDomainView => ({
  id: c.name,
  name: c.name,
  subDomain: false,
  verificationStatus: c.status,
  verificationRecord: ownershipRecord(c.name, c.token),
  verificationDetail: c.check_detail ?? 'not checked yet: publish the record, then PUT …/verification',
  dateChecked: c.checked_at === null ? null : iso(c.checked_at),
  dateCreated: iso(c.created_at),
  selfUri: `/api/v2/routing/email/domains/${c.name}`,
});
const routeView = (r: InboundRoutesTable): RouteView => ({
  id: r.id,
  pattern: r.pattern,
  queue: { id: r.queue_id, selfUri: `/api/v2/routing/queues/${r.queue_id}` },
  priority: r.priority,
  selfUri: `/api/v2/routing/email/domains/${r.domain_name}/routes/${r.id}`,
});

export type DomainsService = ReturnType<typeof createDomainsService>;

export function createDomainsService(deps: { db: Db; clock: Clock; resolver: DnsResolver; queues: { get(orgId: string, id: string): Promise<unknown> }; events: EventsService }) {
  const { db, clock } = deps;
  // Lookups on every send and every inbound message; domains change rarely. Changes made here
  // clear the entry at once; another instance's change shows within the TTL.
  const CACHE_MS = 10_000;
  // Keyed by whatever domain an SMTP client names: bounded, or relay probing would grow it.
  const domainCache = new TtlCache<string, string | null>({ max: 10_000, ttlMs: CACHE_MS, clock });
  const replyDomainCache = new TtlCache<string, string | null>({ max: 10_000, ttlMs: CACHE_MS, clock });
  const forget = (orgId: string, name: string) => {
    domainCache.delete(name);
    replyDomainCache.delete(orgId);
  };
  /** The organization's verified domain of that name, or null. */
  const ownVerified = async (ex: Executor, orgId: string, name: string) => {
    const row = await repo.findInboundDomain(ex, name);
    return row && row.org_id === orgId ? row : null;
  };

  return {
    /**
     * An inbound domain added through the API: a claim, answered with the TXT record that proves
     * control. Another organization's claim or domain of the same name is neither refused nor
     * revealed here; whoever proves control first receives the mail.
     */
    async createInboundDomain(orgId: string, domain: string) {
      const name = normalizeDomain('id', domain);
      if ((await ownVerified(db, orgId, name)) || (await repo.findClaim(db, orgId, name))) {
        throw conflict('domain.exists', `This organization has already added the domain ${name}.`);
      }
      const claim: InboundDomainClaimsTable = {
        id: newId(clock.now()),
        org_id: orgId,
        name,
        token: newOwnershipToken(),
        status: 'PENDING',
        check_detail: null,
        checked_at: null,
        created_at: clock.now(),
      };
      try {
        await repo.insertClaim(db, claim);
      } catch {
        // The same organization adding the name twice at once: the other request made it.
        throw conflict('domain.exists', `This organization has already added the domain ${name}.`);
      }
      return claimView(claim);
    },
    /** The operator's own domain (`init`, THREADLINE_INBOUND_DOMAIN): verified without proof. */
    async createVerifiedInboundDomain(orgId: string, domain: string) {
      const id = normalizeDomain('id', domain);
      if (await repo.findInboundDomain(db, id)) throw conflict('domain.exists', `The domain ${id} is already registered.`);
      const row = { id, org_id: orgId, name: id, created_at: clock.now() };
      await repo.insertInboundDomain(db, row);
      forget(orgId, id);
      return inboundView(row);
    },
    async listInboundDomains(orgId: string) {
      const views = [...(await repo.listInboundDomains(db, orgId)).map(inboundView), ...(await repo.listClaims(db, orgId)).map(claimView)];
      return views.sort((a, b) => a.dateCreated.localeCompare(b.dateCreated));
    },
    async getInboundDomain(orgId: string, id: string) {
      const name = id.toLowerCase();
      const row = await ownVerified(db, orgId, name);
      if (row) return inboundView(row);
      const claim = await repo.findClaim(db, orgId, name);
      if (!claim) throw notFound(`Inbound domain ${id}`);
      return claimView(claim);
    },
    /** Checks the TXT record now; a domain that proves control becomes this organization's and receives mail. */
    async verifyInboundDomain(orgId: string, id: string) {
      const name = id.toLowerCase();
      const row = await ownVerified(db, orgId, name);
      if (row) return inboundView(row);
      const claim = await repo.findClaim(db, orgId, name);
      if (!claim) throw notFound(`Inbound domain ${id}`);
      const check = await checkOwnership(deps.resolver, name, claim.token);
      const now = clock.now();
      const changed = (to: string) => ({ domain: name, kind: 'inbound', from: claim.status, to });
      if (check.status !== 'VERIFIED') {
        const next = { status: check.status === 'UNKNOWN' ? claim.status : check.status, check_detail: check.detail, checked_at: now } as const;
        await db.transaction().execute(async (trx) => {
          // Saved only over the status read above, so that one change is told once.
          const saved = await repo.saveClaimCheck(trx, claim.id, claim.status, next);
          if (saved && next.status !== claim.status) await deps.events.record(trx, orgId, 'domain.verification.changed', changed(next.status));
        });
        return claimView({ ...claim, ...next });
      }
      const verified = { id: name, org_id: orgId, name, created_at: now };
      const won = await db
        .transaction()
        .execute(async (trx) => {
          if (await repo.findInboundDomain(trx, name)) return false;
          await repo.insertInboundDomain(trx, verified);
          await repo.deleteClaim(trx, orgId, name);
          await deps.events.record(trx, orgId, 'domain.verification.changed', changed('VERIFIED'));
          return true;
        })
        .catch(async (err: unknown) => {
          // Another organization verified it at the same moment (the name is the key); any other fault is ours.
          if (await repo.findInboundDomain(db, name)) return false;
          throw err;
        });
      if (!won) {
        // The caller controls the name's DNS, yet it receives mail elsewhere: the operator sorts it out.
        throw conflict('domain.verification.refused', `The domain ${name} already receives mail for another account; ask the operator of this service to release it.`);
      }
      forget(orgId, name);
      return inboundView(verified);
    },
    async deleteInboundDomain(orgId: string, id: string) {
      const name = id.toLowerCase();
      if (!(await ownVerified(db, orgId, name))) {
        if (Number((await repo.deleteClaim(db, orgId, name)).numDeletedRows) === 0) throw notFound(`Inbound domain ${id}`);
        return;
      }
      if ((await repo.countRoutesForDomain(db, name)) > 0) {
        throw conflict('domain.in.use', `Inbound domain ${id} still has routes; delete them first.`);
      }
      await repo.deleteInboundDomain(db, orgId, name);
      forget(orgId, name);
    },
    /** The organization an inbound domain belongs to, or null: the SMTP server's relay check. */
    async inboundDomainOrg(ex: Executor, domain: string): Promise<string | null> {
      return domainCache.getOrLoad(domain, async () => (await repo.findInboundDomain(ex, domain))?.org_id ?? null);
    },

    /**
     * The queue for a new conversation: the route whose pattern is the recipient's local part
     * (or its part before a `+` tag), else the highest-priority catch-all `*`.
     */
    async routeFor(ex: Executor, orgId: string, domain: string, localPart: string): Promise<{ queueId: string; priority: number } | null> {
      const routes = await repo.listRoutes(ex, orgId, domain);
      const lp = localPart.toLowerCase();
      const match = routes.find((r) => r.pattern === lp) ?? routes.find((r) => r.pattern === lp.split('+')[0]) ?? routes.find((r) => r.pattern === '*');
      return match ? { queueId: match.queue_id, priority: match.priority } : null;
    },

    /** The domain reply addresses are made on: the organization's first inbound domain. */
    async replyDomainFor(ex: Executor, orgId: string): Promise<string | null> {
      return replyDomainCache.getOrLoad(orgId, async () => (await repo.listInboundDomains(ex, orgId))[0]?.id ?? null);
    },

    async createRoute(orgId: string, domain: string, input: { pattern: string; queueId: string; priority?: number }) {
      const d = (await this.getInboundDomain(orgId, domain)).id;
      if (!(await ownVerified(db, orgId, d))) {
        throw conflict('domain.not.verified', `The inbound domain ${d} is not verified yet: publish its verificationRecord, then PUT /api/v2/routing/email/domains/${d}/verification.`);
      }
      if (!PATTERN_RE.test(input.pattern)) throw badRequest('pattern', 'pattern must be a local part (such as support) or * for every address');
      await deps.queues.get(orgId, input.queueId).catch(() => {
        throw badRequest('queue.id', `Queue ${input.queueId} does not exist in this organization.`);
      });
      const row = {
        id: newId(clock.now()),
        org_id: orgId,
        domain_name: d,
        pattern: input.pattern.toLowerCase(),
        queue_id: input.queueId,
        priority: input.priority ?? 0,
        created_at: clock.now(),
      };
      try {
        await repo.insertRoute(db, row);
      } catch {
        throw conflict('route.exists', `A route for ${input.pattern}@${d} already exists.`);
      }
      return routeView(row);
    },
    async listRoutes(orgId: string, domain: string) {
      const d = (await this.getInboundDomain(orgId, domain)).id;
      return (await repo.listRoutes(db, orgId, d)).map(routeView);
    },
    async deleteRoute(orgId: string, domain: string, id: string) {
      const r = await repo.deleteRoute(db, orgId, domain.toLowerCase(), id);
      if (Number(r.numDeletedRows) === 0) throw notFound(`Route ${id}`);
    },
  };
}
