import { Hono } from 'hono';
import { PERMISSIONS as P } from '../../auth/permissions.js';
import { QUARANTINE_MANAGE } from '../../inbound/quarantine.routes.js';
import { WEBHOOK_VIEW } from '../../webhooks/webhooks.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { senderDomainsRoutes } from './domains.js';
import { quarantineRoutes } from './quarantine.js';
import { suppressionsRoutes } from './suppressions.js';
import { webhooksRoutes } from './webhooks.js';

/** The Administration area's sections, each shown to those who hold the permission its API asks for. */
export const ADMIN_PAGES: { href: string; label: string; about: string; permissions: string[] }[] = [
  { href: '/console/admin/domains', label: 'Sender domains', about: 'Domains mail is sent from, and their DNS records.', permissions: [P.routingEmailManage] },
  { href: '/console/admin/webhooks', label: 'Webhooks', about: 'Where events are sent, the attempt log, sending again.', permissions: WEBHOOK_VIEW },
  { href: '/console/admin/suppressions', label: 'Suppressions', about: 'Addresses that are not mailed.', permissions: [P.suppressionView, P.suppressionEdit] },
  { href: '/console/admin/quarantine', label: 'Quarantine', about: 'Replies held because they did not prove their sender.', permissions: QUARANTINE_MANAGE },
];

/** Every administration section's pages. */
export function adminSectionRoutes(deps: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  r.route('/', senderDomainsRoutes(deps));
  r.route('/', webhooksRoutes(deps));
  r.route('/', suppressionsRoutes(deps));
  r.route('/', quarantineRoutes(deps));
  return r;
}
