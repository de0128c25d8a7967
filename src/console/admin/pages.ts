import { Hono } from 'hono';
import { PERMISSIONS as P } from '../../auth/permissions.js';
import { QUARANTINE_MANAGE } from '../../inbound/quarantine.routes.js';
import { CONFIGURATION_VIEW } from '../../outbound-config/configurations.routes.js';
import { WRAPUP_VIEW } from '../../queues/wrapup-codes.routes.js';
import { SUPPRESSION_VIEW } from '../../suppression/suppression.routes.js';
import { TEMPLATE_VIEW } from '../../templates/templates.routes.js';
import { WEBHOOK_VIEW } from '../../webhooks/webhooks.routes.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { accessRoutes } from './access.js';
import { senderDomainsRoutes } from './domains.js';
import { inboundDomainsRoutes } from './inbound.js';
import { outboundRoutes } from './outbound.js';
import { quarantineRoutes } from './quarantine.js';
import { QUEUE_ADMIN, queuesRoutes } from './queues.js';
import { schedulesRoutes } from './schedules.js';
import { suppressionsRoutes } from './suppressions.js';
import { templatesRoutes } from './templates.js';
import { webhooksRoutes } from './webhooks.js';
import { wrapupCodesRoutes } from './wrapup-codes.js';

/** The Administration area's sections, each shown to those who hold the permission its pages ask for. */
export const ADMIN_PAGES: { href: string; label: string; about: string; permissions: string[] }[] = [
  { href: '/console/admin/domains', label: 'Sender domains', about: 'Domains mail is sent from, and their DNS records.', permissions: [P.routingEmailManage] },
  {
    href: '/console/admin/inbound',
    label: 'Inbound domains and routes',
    about: 'Domains replies are received for, and which queue each address goes to.',
    permissions: [P.routingEmailManage],
  },
  { href: '/console/admin/queues', label: 'Queues', about: 'Queues and their members.', permissions: QUEUE_ADMIN },
  { href: '/console/admin/wrapupcodes', label: 'Wrap-up codes', about: 'What agents complete items with; each queue offers its own list.', permissions: WRAPUP_VIEW },
  { href: '/console/admin/users', label: 'Users', about: 'Agents and administrators who sign in.', permissions: [P.userView, P.userAdd] },
  { href: '/console/admin/clients', label: 'OAuth clients', about: 'Programs that call the API.', permissions: [P.clientView, P.clientEdit] },
  { href: '/console/admin/templates', label: 'Templates', about: 'Localized messages, previewed per language.', permissions: TEMPLATE_VIEW },
  { href: '/console/admin/outbound', label: 'Outbound configurations', about: 'What a contact list is sent, now or on a schedule.', permissions: CONFIGURATION_VIEW },
  { href: '/console/admin/webhooks', label: 'Webhooks', about: 'Where events are sent, the attempt log, sending again.', permissions: WEBHOOK_VIEW },
  { href: '/console/admin/suppressions', label: 'Suppressions', about: 'Addresses that are not mailed.', permissions: SUPPRESSION_VIEW },
  { href: '/console/admin/quarantine', label: 'Quarantine', about: 'Replies held because they did not prove their sender.', permissions: QUARANTINE_MANAGE },
];

/** Every administration section's pages. */
export function adminSectionRoutes(deps: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  for (const routes of [
    senderDomainsRoutes,
    inboundDomainsRoutes,
    queuesRoutes,
    wrapupCodesRoutes,
    accessRoutes,
    templatesRoutes,
    outboundRoutes,
    schedulesRoutes,
    webhooksRoutes,
    suppressionsRoutes,
    quarantineRoutes,
  ])
    r.route('/', routes(deps));
  return r;
}
