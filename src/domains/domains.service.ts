import type { Clock } from '../clock.js';
import type { Db, Executor, InboundDomainsTable, InboundRoutesTable } from '../db/schema.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import * as repo from './domains.repo.js';
import { normalizeDomain } from './dns-check.js';

// Inbound domains (replies are received for them) and their routes to queues. Sender
// domains are in sender-domains.ts.

export interface InboundDomainView {
  id: string;
  name: string;
  subDomain: boolean;
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

const inboundView = (r: InboundDomainsTable): InboundDomainView => ({
  id: r.id,
  name: r.name,
  subDomain: false,
  dateCreated: new Date(Number(r.created_at)).toISOString(),
  selfUri: `/api/v2/routing/email/domains/${r.id}`,
});
const routeView = (r: InboundRoutesTable): RouteView => ({
  id: r.id,
  pattern: r.pattern,
  queue: { id: r.queue_id, selfUri: `/api/v2/routing/queues/${r.queue_id}` },
  priority: r.priority,
  selfUri: `/api/v2/routing/email/domains/${r.domain_name}/routes/${r.id}`,
});

export type DomainsService = ReturnType<typeof createDomainsService>;

export function createDomainsService(deps: {
  db: Db;
  clock: Clock;
  queues: { get(orgId: string, id: string): Promise<unknown> };
}) {
  const { db, clock } = deps;
  // Lookups on every send and every inbound message; domains change rarely. Changes made here
  // clear the entry at once; another instance's change shows within the TTL.
  const CACHE_MS = 10_000;
  const domainCache = new Map<string, { orgId: string | null; until: number }>();
  const replyDomainCache = new Map<string, { domain: string | null; until: number }>();
  const taken = (what: string) => conflict('domain.exists', `The domain ${what} is already registered.`);

  return {
    async createInboundDomain(orgId: string, domain: string) {
      const id = normalizeDomain('id', domain);
      if (await repo.findInboundDomain(db, id)) throw taken(id);
      const row = { id, org_id: orgId, name: id, created_at: clock.now() };
      await repo.insertInboundDomain(db, row);
      domainCache.delete(id);
      replyDomainCache.delete(orgId);
      return inboundView(row);
    },
    async listInboundDomains(orgId: string) {
      return (await repo.listInboundDomains(db, orgId)).map(inboundView);
    },
    async getInboundDomain(orgId: string, id: string) {
      const row = await repo.findInboundDomain(db, id.toLowerCase());
      if (!row || row.org_id !== orgId) throw notFound(`Inbound domain ${id}`);
      return inboundView(row);
    },
    async deleteInboundDomain(orgId: string, id: string) {
      await this.getInboundDomain(orgId, id);
      if ((await repo.countRoutesForDomain(db, id.toLowerCase())) > 0) {
        throw conflict('domain.in.use', `Inbound domain ${id} still has routes; delete them first.`);
      }
      await repo.deleteInboundDomain(db, orgId, id.toLowerCase());
      domainCache.delete(id.toLowerCase());
      replyDomainCache.delete(orgId);
    },
    /** The organization an inbound domain belongs to, or null: the SMTP server's relay check. */
    async inboundDomainOrg(ex: Executor, domain: string): Promise<string | null> {
      const hit = domainCache.get(domain);
      if (hit && hit.until > clock.now()) return hit.orgId;
      const orgId = (await repo.findInboundDomain(ex, domain))?.org_id ?? null;
      domainCache.set(domain, { orgId, until: clock.now() + 10_000 });
      return orgId;
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
      let hit = replyDomainCache.get(orgId);
      if (!hit || hit.until <= clock.now()) {
        hit = { domain: (await repo.listInboundDomains(ex, orgId))[0]?.id ?? null, until: clock.now() + CACHE_MS };
        replyDomainCache.set(orgId, hit);
      }
      return hit.domain;
    },

    async createRoute(orgId: string, domain: string, input: { pattern: string; queueId: string; priority?: number }) {
      const d = (await this.getInboundDomain(orgId, domain)).id;
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
