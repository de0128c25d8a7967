import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { PERMISSIONS } from '../auth/permissions.js';
import type { HttpEnv } from '../http/env.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { DomainsService } from './domains.service.js';
import type { SenderDomainsService } from './sender-domains.js';

const MANAGE = [PERMISSIONS.routingEmailManage];
const Any = z.record(z.string(), z.unknown());
const Listing = (name: string) => z.object({ entities: z.array(Any) }).openapi(name);
const outTags = ['Sender domains'];
const inTags = ['Inbound domains and routes'];
const OUT = '/api/v2/routing/email/outbound/domains';
const IN = '/api/v2/routing/email/domains';

const d = {
  listOut: createRoute({
    method: 'get',
    path: OUT,
    summary: 'List sender (outbound) domains',
    tags: outTags,
    ...permit(MANAGE),
    responses: { 200: json(Listing('OutboundDomainEntityListing'), 'The domains.'), ...standardErrors },
  }),
  createOut: createRoute({
    method: 'post',
    path: OUT,
    summary: 'Register a sender domain',
    description:
      'As in Genesys, `id` is the domain name; a subdomain (such as notify.example.com) is required unless `requireSubdomain` is false. ' +
      'Creating it makes an RSA DKIM key under a dated selector and answers with the DNS records to publish (`dnsRecords`: SPF, DKIM, DMARC, return path, inbound MX). ' +
      'The domain is PENDING until its SPF and DKIM records verify (PUT …/activation, or the periodic check); relay and direct delivery refuse to send from it until then, capture mode sends with a warning.',
    tags: outTags,
    ...permit(MANAGE),
    request: { body: jsonBody(z.object({ id: z.string(), name: z.string().optional(), senderType: z.string().optional(), requireSubdomain: z.boolean().optional() })) },
    responses: { 200: json(Any.openapi('OutboundDomain'), 'The domain.'), ...standardErrors, 409: json(Any, 'Already registered.') },
  }),
  getOut: createRoute({
    method: 'get',
    path: `${OUT}/{domainId}`,
    summary: 'Get a sender domain',
    tags: outTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainId: z.string() }) },
    responses: { 200: json(Any, 'The domain.'), ...standardErrors },
  }),
  getActivation: createRoute({
    method: 'get',
    path: `${OUT}/{domainId}/activation`,
    summary: "A sender domain's last DNS check",
    description: 'Genesys EmailOutboundDomainResult: the sending (SPF) and bounce (return path) records, DMARC, and every record with its status (PENDING, VERIFIED, FAILED, UNKNOWN).',
    tags: outTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainId: z.string() }) },
    responses: { 200: json(Any.openapi('EmailOutboundDomainResult'), 'The last check.'), ...standardErrors },
  }),
  putActivation: createRoute({
    method: 'put',
    path: `${OUT}/{domainId}/activation`,
    summary: "Check a sender domain's DNS records now",
    description:
      'Looks every record up through THREADLINE_DNS_SERVERS; the domain is VERIFIED when its SPF and signing DKIM records are published. A pending (rotated) DKIM key that verifies starts signing.',
    tags: outTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainId: z.string() }) },
    responses: { 200: json(Any, 'The check just made.'), ...standardErrors },
  }),
  rotateDkim: createRoute({
    method: 'post',
    path: `${OUT}/{domainId}/dkim/rotations`,
    summary: 'Start a DKIM key rotation (threadline)',
    description:
      'Makes a new key under a new dated selector and lists its record with the others. Signing switches to it once its record verifies; the old key stays published (retiring) for THREADLINE_DKIM_RETIRE_AFTER, then is retired.',
    tags: outTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainId: z.string() }) },
    responses: { 200: json(Any, 'The domain with the new key pending.'), ...standardErrors, 409: json(Any, 'A rotation is already waiting for its record.') },
  }),
  deleteOut: createRoute({
    method: 'delete',
    path: `${OUT}/{domainId}`,
    summary: 'Delete a sender domain',
    tags: outTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainId: z.string() }) },
    responses: { 204: { description: 'Deleted.' }, ...standardErrors },
  }),
  listIn: createRoute({
    method: 'get',
    path: IN,
    summary: 'List inbound domains',
    tags: inTags,
    ...permit(MANAGE),
    responses: { 200: json(Listing('InboundDomainEntityListing'), 'The domains.'), ...standardErrors },
  }),
  createIn: createRoute({
    method: 'post',
    path: IN,
    summary: 'Register an inbound domain (replies are received for it)',
    description:
      'The domain is PENDING (`verificationStatus`) until it proves that this organization controls it: publish `verificationRecord` (a TXT record at `_threadline-verify.<domain>`) and PUT …/{domainName}/verification. ' +
      'Until then it receives no mail (550 5.7.1, like any unknown domain) and takes no routes. Several organizations may add the same name; the first to verify it receives its mail.',
    tags: inTags,
    ...permit(MANAGE),
    request: { body: jsonBody(z.object({ id: z.string(), subDomain: z.boolean().optional() })) },
    responses: { 200: json(Any.openapi('InboundDomain'), 'The domain, PENDING, with the record to publish.'), ...standardErrors, 409: json(Any, 'This organization already added it.') },
  }),
  verifyIn: createRoute({
    method: 'put',
    path: `${IN}/{domainName}/verification`,
    summary: "Check an inbound domain's TXT record now (threadline)",
    description:
      "Looks `_threadline-verify.<domain>` up through THREADLINE_DNS_SERVERS. When it holds this organization's token the domain is VERIFIED and receives mail; otherwise the answer says what was found. " +
      'A domain that already receives mail for another account is refused with 409 `domain.verification.refused`.',
    tags: inTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainName: z.string() }) },
    responses: { 200: json(Any, 'The domain after the check.'), ...standardErrors, 409: json(Any, 'The domain receives mail for another account.') },
  }),
  getIn: createRoute({
    method: 'get',
    path: `${IN}/{domainName}`,
    summary: 'Get an inbound domain',
    tags: inTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainName: z.string() }) },
    responses: { 200: json(Any, 'The domain.'), ...standardErrors },
  }),
  deleteIn: createRoute({
    method: 'delete',
    path: `${IN}/{domainName}`,
    summary: 'Delete an inbound domain without routes',
    tags: inTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainName: z.string() }) },
    responses: { 204: { description: 'Deleted.' }, ...standardErrors },
  }),
  listRoutes: createRoute({
    method: 'get',
    path: `${IN}/{domainName}/routes`,
    summary: "List an inbound domain's routes",
    tags: inTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainName: z.string() }) },
    responses: { 200: json(Listing('InboundRouteEntityListing'), 'The routes, highest priority first.'), ...standardErrors },
  }),
  createRoute: createRoute({
    method: 'post',
    path: `${IN}/{domainName}/routes`,
    summary: 'Route a recipient pattern of the domain to a queue',
    description: 'The domain must be VERIFIED (409 `domain.not.verified` otherwise).',
    tags: inTags,
    ...permit(MANAGE),
    request: {
      params: z.object({ domainName: z.string() }),
      body: jsonBody(z.object({ pattern: z.string(), queue: z.object({ id: z.string() }), priority: z.number().int().optional() })),
    },
    responses: { 200: json(Any.openapi('InboundRoute'), 'The route.'), ...standardErrors },
  }),
  deleteRoute: createRoute({
    method: 'delete',
    path: `${IN}/{domainName}/routes/{routeId}`,
    summary: 'Delete a route',
    tags: inTags,
    ...permit(MANAGE),
    request: { params: z.object({ domainName: z.string(), routeId: z.string() }) },
    responses: { 204: { description: 'Deleted.' }, ...standardErrors },
  }),
};

export function domainsRoutes(domains: DomainsService & SenderDomainsService) {
  const r = newRouter();
  const org = (c: Context<HttpEnv>) => c.get('principal').orgId;
  r.openapi(d.listOut, async (c) => c.json({ entities: await domains.listSenderDomains(org(c)) }, 200));
  r.openapi(d.createOut, async (c) => {
    const b = c.req.valid('json');
    return c.json(await domains.createSenderDomain(org(c), b.id, { name: b.name, requireSubdomain: b.requireSubdomain }), 200);
  });
  r.openapi(d.getActivation, async (c) => c.json(await domains.activation(org(c), c.req.valid('param').domainId, false), 200));
  r.openapi(d.putActivation, async (c) => c.json(await domains.activation(org(c), c.req.valid('param').domainId, true), 200));
  r.openapi(d.rotateDkim, async (c) => c.json(await domains.rotateDkim(org(c), c.req.valid('param').domainId), 200));
  r.openapi(d.getOut, async (c) => c.json(await domains.getSenderDomain(org(c), c.req.valid('param').domainId), 200));
  r.openapi(d.deleteOut, async (c) => {
    await domains.deleteSenderDomain(org(c), c.req.valid('param').domainId);
    return c.body(null, 204);
  });
  r.openapi(d.listIn, async (c) => c.json({ entities: await domains.listInboundDomains(org(c)) }, 200));
  r.openapi(d.createIn, async (c) => c.json(await domains.createInboundDomain(org(c), c.req.valid('json').id), 200));
  r.openapi(d.verifyIn, async (c) => c.json(await domains.verifyInboundDomain(org(c), c.req.valid('param').domainName), 200));
  r.openapi(d.getIn, async (c) => c.json(await domains.getInboundDomain(org(c), c.req.valid('param').domainName), 200));
  r.openapi(d.deleteIn, async (c) => {
    await domains.deleteInboundDomain(org(c), c.req.valid('param').domainName);
    return c.body(null, 204);
  });
  r.openapi(d.listRoutes, async (c) => c.json({ entities: await domains.listRoutes(org(c), c.req.valid('param').domainName) }, 200));
  r.openapi(d.createRoute, async (c) => {
    const b = c.req.valid('json');
    return c.json(await domains.createRoute(org(c), c.req.valid('param').domainName, { pattern: b.pattern, queueId: b.queue.id, priority: b.priority }), 200);
  });
  r.openapi(d.deleteRoute, async (c) => {
    const p = c.req.valid('param');
    await domains.deleteRoute(org(c), p.domainName, p.routeId);
    return c.body(null, 204);
  });
  return r;
}
