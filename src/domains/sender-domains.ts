import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';
import type { Sealer } from '../crypto/sealed.js';
import type { Db, DkimKeysTable, Executor, SenderDomainsTable } from '../db/schema.js';
import type { DnsResolver } from '../dns/resolver.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import type { EventsService } from '../events/events.service.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import { type DkimKey, dkimRecordValue, generateDkimKeyPair } from '../mail/dkim.js';
import type { Metrics } from '../ops/metrics.js';
import { checkDomain, type DnsRecord, type DomainCheck, domainStatus, expectedRecords, normalizeDomain, organizationalDomain } from './dns-check.js';
import * as repo from './sender-domains.repo.js';
import { activationView, senderDomainView } from './sender-domains.views.js';

// Sender (campaign) domains: the DNS records each needs (SPF, DKIM, DMARC, return path, inbound
// MX), their verification through THREADLINE_DNS_SERVERS, DKIM keys (sealed at rest, rotated
// without a gap), and the sending rule. Routes are Genesys's
// /api/v2/routing/email/outbound/domains[/{id}[/activation]].

export interface SenderDomainSettings {
  /** relay and direct refuse unverified domains; capture sends with a warning. */
  outboundMode: 'capture' | 'relay' | 'direct';
  spfMechanism: string;
  mxHost: string;
  checkIntervalMs: number;
  dkimBits: number;
  dkimRetireMs: number;
}

/** The selector for a key made on `now`: tl20261122, then tl20261122b, c, … when taken. */
export function datedSelector(now: number, taken: readonly string[]): string {
  const base = `tl${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}`;
  if (!taken.includes(base)) return base;
  for (let i = 1; i < 26; i++) {
    const s = `${base}${String.fromCharCode(97 + i)}`;
    if (!taken.includes(s)) return s;
  }
  throw conflict('dkim.selector.exhausted', 'Too many DKIM keys were made for this domain today; try again tomorrow.');
}

export type SenderDomainsService = ReturnType<typeof createSenderDomainsService>;

export function createSenderDomainsService(deps: {
  db: Db;
  clock: Clock;
  events: EventsService;
  sealer: Sealer;
  resolver: DnsResolver;
  settings: SenderDomainSettings;
  /** The organization's inbound domain (reply addresses live there), for its MX record. */
  inboundDomainOf(ex: Executor, orgId: string): Promise<string | null>;
  log?: Logger;
  metrics?: Metrics;
}) {
  const { db, clock, sealer, settings } = deps;
  // Looked up on every send and every delivery; domains change rarely. Changes made here clear
  // the entry at once; another instance's change shows within the TTL.
  const CACHE_MS = 10_000;
  const senderNames = new TtlCache<'all', Set<string>>({ max: 1, ttlMs: 30_000, clock });
  const sendCache = new TtlCache<string, { orgId: string | null; status: string }>({ max: 10_000, ttlMs: CACHE_MS, clock });
  const sendState = (ex: Executor, domain: string) =>
    sendCache.getOrLoad(domain, async () => {
      const row = await repo.findSenderDomain(ex, domain);
      return { orgId: row?.org_id ?? null, status: row?.status ?? 'PENDING' };
    });
  const keyCache = new TtlCache<string, DkimKey | null>({ max: 10_000, ttlMs: CACHE_MS, clock });
  // One warning per domain every 10 minutes: an entry present means "warned lately".
  const warned = new TtlCache<string, true>({ max: 10_000, ttlMs: 10 * 60_000, clock });
  const forget = (id: string) => {
    sendCache.delete(id);
    keyCache.delete(id);
    senderNames.delete('all');
  };

  async function newKey(ex: Executor, row: { id: string; org_id: string }, state: DkimKeysTable['state']): Promise<DkimKeysTable> {
    const now = clock.now();
    const pair = await generateDkimKeyPair(settings.dkimBits);
    const key: DkimKeysTable = {
      id: newId(now),
      domain_id: row.id,
      org_id: row.org_id,
      selector: datedSelector(now, await repo.selectorsOf(ex, row.id)),
      algorithm: 'rsa-sha256',
      bits: settings.dkimBits,
      public_key: pair.publicKey,
      private_key_sealed: sealer.seal(pair.privateKey),
      state,
      dns_status: 'PENDING',
      created_at: now,
      activated_at: state === 'active' ? now : null,
      retiring_at: null,
      retired_at: null,
    };
    await repo.insertKey(ex, key);
    return key;
  }

  async function recordsOf(ex: Executor, row: SenderDomainsTable, keys: DkimKeysTable[]): Promise<DnsRecord[]> {
    return expectedRecords({
      domain: row.id,
      inboundDomain: await deps.inboundDomainOf(ex, row.org_id),
      spfMechanism: settings.spfMechanism,
      mxHost: settings.mxHost,
      dkim: keys.filter((k) => k.state !== 'retired').map((k) => ({ selector: k.selector, value: dkimRecordValue(k.public_key) })),
    });
  }

  /** The domain as Genesys's OutboundDomain, with threadline's record list and key states. */
  async function view(ex: Executor, row: SenderDomainsTable) {
    const keys = await repo.keysOf(ex, row.id);
    return senderDomainView(row, keys, await recordsOf(ex, row, keys));
  }

  async function ownRow(orgId: string, id: string): Promise<SenderDomainsTable> {
    const row = await repo.findSenderDomain(db, id.toLowerCase());
    if (!row || row.org_id !== orgId) throw notFound(`Sender domain ${id}`);
    return row;
  }

  /**
   * Checks one domain's records now; promotes a pending DKIM key that verifies (signing switches
   * to it, the old key keeps being published while it retires); retires keys past their time.
   */
  async function check(id: string): Promise<DomainCheck> {
    const now = clock.now();
    const row = await repo.findSenderDomain(db, id);
    if (!row) throw notFound(`Sender domain ${id}`);
    const keys = await repo.keysOf(db, id);
    const active = keys.find((k) => k.state === 'active');
    const result = await checkDomain(deps.resolver, await recordsOf(db, row, keys), active?.selector ?? null, now);
    const dkimStatus = (selector: string) => result.records.find((r) => r.purpose === 'dkim' && r.selector === selector)?.status ?? 'PENDING';

    await db.transaction().execute(async (trx) => {
      for (const k of keys) {
        const status = dkimStatus(k.selector);
        if (status !== k.dns_status && status !== 'UNKNOWN') await repo.updateKey(trx, k.id, { dns_status: status });
      }
      const pending = keys.filter((k) => k.state === 'pending' && dkimStatus(k.selector) === 'VERIFIED').at(-1);
      if (pending) {
        if (active) await repo.updateKey(trx, active.id, { state: 'retiring', retiring_at: now });
        await repo.updateKey(trx, pending.id, { state: 'active', activated_at: now });
        deps.log?.info({ domain: id, selector: pending.selector }, 'DKIM key rotated: the new selector verified and signs from now on');
      }
      for (const k of keys.filter((k) => k.state === 'retiring' && k.retiring_at !== null && k.retiring_at + settings.dkimRetireMs <= now)) {
        await repo.updateKey(trx, k.id, { state: 'retired', retired_at: now });
        deps.log?.info({ domain: id, selector: k.selector }, 'DKIM key retired: its DNS record may be removed');
      }
      // A promoted key signs from now on: the domain is judged by it.
      if (pending) result.status = domainStatus(result.records, pending.selector);
      // DNS that did not answer says nothing about the records: the domain keeps its status.
      const status = result.status === 'UNKNOWN' ? row.status : result.status;
      const saved = await repo.saveCheck(trx, id, row.status, {
        status,
        check_results: JSON.stringify(result),
        checked_at: now,
        verified_at: status === 'VERIFIED' ? (row.status === 'VERIFIED' ? (row.verified_at ?? now) : now) : null,
      });
      if (saved && status !== row.status) {
        await deps.events.record(trx, row.org_id, 'domain.verification.changed', { domain: id, kind: 'sender', from: row.status, to: status });
        deps.metrics?.domainStatusChangesTotal.inc({ from: row.status, to: status });
        const failing = result.records.filter((r) => r.status !== 'VERIFIED' && (r.purpose === 'spf' || r.purpose === 'dkim')).map((r) => `${r.purpose} ${r.host}: ${r.detail}`);
        const level = row.status === 'VERIFIED' ? 'warn' : 'info';
        deps.log?.[level]({ domain: id, orgId: row.org_id, from: row.status, to: status, failing }, `sender domain ${id} is now ${status}`);
      }
    });
    deps.metrics?.domainChecksTotal.inc({ status: result.status });
    forget(id);
    return result;
  }

  return {
    async createSenderDomain(orgId: string, domain: string, opts: { name?: string; requireSubdomain?: boolean } = {}) {
      const id = normalizeDomain('id', domain);
      if (await repo.findSenderDomain(db, id)) throw conflict('domain.exists', `The domain ${id} is already registered.`);
      if (opts.requireSubdomain !== false && organizationalDomain(id) === id) {
        throw badRequest(
          'id',
          `${id} is a registered domain, not a subdomain: use one such as notify.${id}, because its SPF and return-path (MX) records take over the name. Send "requireSubdomain": false to use ${id} itself.`,
          'domain.subdomain.required',
        );
      }
      const now = clock.now();
      const row: SenderDomainsTable = {
        id,
        org_id: orgId,
        name: opts.name ?? id,
        status: 'PENDING',
        created_at: now,
        check_results: null,
        checked_at: null,
        verified_at: null,
        next_check_at: now,
      };
      await db.transaction().execute(async (trx) => {
        await repo.insertSenderDomain(trx, row);
        // The first key signs at once; its record is published with the others.
        await newKey(trx, row, 'active');
      });
      forget(id);
      return view(db, row);
    },
    async listSenderDomains(orgId: string) {
      return Promise.all((await repo.listSenderDomains(db, orgId)).map((r) => view(db, r)));
    },
    async getSenderDomain(orgId: string, id: string) {
      return view(db, await ownRow(orgId, id));
    },
    async deleteSenderDomain(orgId: string, id: string) {
      const r = await repo.deleteSenderDomain(db, orgId, id.toLowerCase());
      forget(id.toLowerCase());
      if (Number(r.numDeletedRows) === 0) throw notFound(`Sender domain ${id}`);
    },

    /** Genesys's EmailOutboundDomainResult: the last check (GET) or a check made now (PUT). */
    async activation(orgId: string, id: string, checkNow: boolean) {
      const row = await ownRow(orgId, id);
      if (checkNow) await check(row.id);
      return activationView(await view(db, (await repo.findSenderDomain(db, row.id))!));
    },

    /** A new DKIM key under a new dated selector: published now, signing once it verifies. */
    async rotateDkim(orgId: string, id: string) {
      const row = await ownRow(orgId, id);
      const keys = await repo.keysOf(db, row.id);
      if (keys.some((k) => k.state === 'pending')) {
        throw conflict('dkim.rotation.pending', `A new DKIM key for ${row.id} is already waiting for its DNS record; publish it and PUT …/activation.`);
      }
      await newKey(db, row, 'pending');
      forget(row.id);
      return view(db, row);
    },

    check,

    /** Checks the domains whose periodic check is due; each claimed by one instance only. */
    async checkDue(limit = 20): Promise<number> {
      const now = clock.now();
      let done = 0;
      for (const d of await repo.dueDomains(db, now, limit)) {
        if (!(await repo.claimCheck(db, d.id, Number(d.next_check_at), now + settings.checkIntervalMs))) continue;
        try {
          await check(d.id);
          done++;
        } catch (err) {
          deps.log?.warn({ err, domain: d.id }, 'sender domain check failed; it is tried again at the next interval');
        }
      }
      return done;
    },

    /** The active DKIM key of a sender domain, opened, for signing; null when it has none. */
    async signingKey(domain: string): Promise<DkimKey | null> {
      return keyCache.getOrLoad(domain, async () => {
        const k = await repo.activeKey(db, domain);
        return k ? { domain, selector: k.selector, privateKey: sealer.open(k.private_key_sealed) } : null;
      });
    },

    /**
     * Whether `domain` is anyone's sender domain: the SMTP server's answer to an address there
     * that is no return path (`550 5.1.1`, not a relay refusal). Every name is read at once and
     * kept for a while: a client probing for a relay names a new domain in every RCPT, and one
     * lookup each (beside the inbound domain's) would double what each costs.
     */
    isSenderDomain: async (ex: Executor, domain: string) => (await senderNames.getOrLoad('all', async () => new Set(await repo.allSenderDomainNames(ex)))).has(domain),

    /**
     * The sending rule: the From domain must be one of the organization's sender domains, and
     * verified when mail leaves the machine (relay, direct); capture mode sends from a domain
     * that is not verified, with a warning in the log.
     */
    async assertCanSendFrom(ex: Executor, orgId: string, domain: string, field = 'fromAddress.email'): Promise<void> {
      const hit = await sendState(ex, domain);
      if (hit.orgId !== orgId) {
        throw badRequest(field, `The domain ${domain} is not a sender domain of this organization; register it under /api/v2/routing/email/outbound/domains first.`, 'sender.domain.unknown');
      }
      if (hit.status === 'VERIFIED') return;
      if (settings.outboundMode !== 'capture') {
        throw new AppError(
          400,
          'sender.domain.not.verified',
          `The sender domain ${domain} is ${hit.status}, not VERIFIED: publish its DNS records (GET /api/v2/routing/email/outbound/domains/${domain}) and check them (PUT …/${domain}/activation).`,
          [{ errorCode: 'sender.domain.not.verified', fieldName: field }],
        );
      }
      if (!warned.has(domain)) {
        warned.set(domain, true);
        deps.log?.warn({ domain, status: hit.status }, `sending from ${domain}, which is not verified: allowed only because THREADLINE_OUTBOUND_URL=capture`);
      }
    },
  };
}
