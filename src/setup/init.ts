import { ADMIN_PERMISSIONS } from '../auth/permissions.js';
import type { Services } from '../deps.js';
import { AppError, conflict } from '../errors.js';

export interface InitResult {
  orgId: string;
  orgName: string;
  clientId: string;
  clientSecret: string;
  queueId: string;
  inboundDomain: string;
  senderDomain: string;
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'org';

/**
 * A ready-to-use organization: an admin client, a default queue, an inbound domain with a
 * catch-all route to that queue, and a sender domain. The configured domains are the
 * operator's own, so the inbound domain receives mail without a DNS proof. When one already
 * belongs to another organization, this one gets `<org-slug>.<domain>` instead.
 */
export async function initOrganization(services: Services, opts: { orgName: string; inboundDomain: string; senderDomain: string; allowExistingName?: boolean }): Promise<InitResult> {
  // A second "Default" is nearly always a mistake (init run after serve, or run twice).
  if (!opts.allowExistingName && (await services.auth.findOrganizations(opts.orgName)).some((o) => o.name === opts.orgName)) {
    throw conflict('organization.name.exists', `An organization named "${opts.orgName}" exists already; choose another --org NAME, or add --allow-existing-name to create a second one.`);
  }
  const org = await services.auth.createOrganization(opts.orgName);
  const client = await services.auth.createClient(org.id, 'admin', ADMIN_PERMISSIONS);
  const queue = await services.queues.create(org.id, 'Default');
  const claim = async <T>(domain: string, create: (d: string) => Promise<T>): Promise<string> => {
    try {
      await create(domain);
      return domain;
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'domain.exists') throw err;
      const alt = `${slug(opts.orgName)}-${org.id.slice(-8)}.${domain}`;
      await create(alt);
      return alt;
    }
  };
  const inbound = await claim(opts.inboundDomain, (d) => services.domains.createVerifiedInboundDomain(org.id, d));
  await services.domains.createRoute(org.id, inbound, { pattern: '*', queueId: queue.id, priority: 0 });
  // THREADLINE_SENDER_DOMAIN is the operator's choice: the subdomain rule is for API callers.
  const sender = await claim(opts.senderDomain, (d) => services.domains.createSenderDomain(org.id, d, { requireSubdomain: false }));
  return { orgId: org.id, orgName: org.name, clientId: client.id, clientSecret: client.secret, queueId: queue.id, inboundDomain: inbound, senderDomain: sender };
}
