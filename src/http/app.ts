import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import { acdRoutes } from '../acd/acd.routes.js';
import { agentsRoutes } from '../agents/agents.routes.js';
import { membersRoutes } from '../agents/members.routes.js';
import { authRoutes } from '../auth/auth.routes.js';
import { consoleApp } from '../console/app.js';
import { conversationsRoutes } from '../conversations/conversations.routes.js';
import { deliveryRoutes } from '../delivery/delivery.routes.js';
import type { Services } from '../deps.js';
import { domainsRoutes } from '../domains/domains.routes.js';
import { AppError } from '../errors.js';
import { eventsRoutes } from '../events/events.routes.js';
import { quarantineRoutes } from '../inbound/quarantine.routes.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import { opsRoutes } from '../ops/ops.routes.js';
import { configurationsRoutes } from '../outbound-config/configurations.routes.js';
import { invokeRoutes } from '../outbound-config/invoke.routes.js';
import { timelineRoutes } from '../outbound-config/timeline.routes.js';
import { queuesRoutes } from '../queues/queues.routes.js';
import { wrapupCodesRoutes } from '../queues/wrapup-codes.routes.js';
import { schedulesRoutes } from '../schedules/schedules.routes.js';
import { agentReplyRoutes } from '../send/agent-reply.routes.js';
import { sendRoutes } from '../send/send.routes.js';
import { suppressionRoutes } from '../suppression/suppression.routes.js';
import { templatesRoutes } from '../templates/templates.routes.js';
import { threadingRoutes } from '../threading/threading.routes.js';
import { webhooksRoutes } from '../webhooks/webhooks.routes.js';
import { requireBearer } from './auth.js';
import { clientAddressResolver, secureRequestResolver } from './client-address.js';
import type { HttpEnv } from './env.js';
import { renderError } from './errors.js';
import { describeAccess } from './openapi.js';

export interface AppDeps {
  services: Services;
  metrics: Metrics;
  log: Logger;
  /** null when ready, otherwise why not. */
  ready(): Promise<string | null>;
  version: string;
  dataDir: string;
  /** Reverse proxies whose X-Forwarded-For names the client (THREADLINE_TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /** Aborted when the service stops: long-lived responses end. */
  shutdown?: AbortSignal;
}

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<HttpEnv>();
  const addressOf = clientAddressResolver(deps.trustedProxies ?? []);
  const isSecure = secureRequestResolver(deps.trustedProxies ?? []);
  app.use(async (c, next) => {
    c.set('clientAddress', () => addressOf(c));
    c.set('secureRequest', () => isSecure(c));
    // Genesys returns its correlation id in this header; our error bodies carry it as contextId.
    const contextId = randomUUID();
    c.set('contextId', contextId);
    // Made when first used: a pino child costs about what a small SQL statement does, and only
    // failing requests log.
    let log: Logger | undefined;
    c.set('log', () => (log ??= deps.log.child({ contextId })));
    // Under the Node adapter the header goes straight onto Node's response: c.header() would
    // make a web Headers object per request for the adapter to convert back.
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (outgoing) outgoing.setHeader('ININ-Correlation-Id', contextId);
    else c.header('ININ-Correlation-Id', contextId);
    await next();
  });
  app.onError((err, c) => renderError(c, err));
  app.notFound((c) => renderError(c, new AppError(404, 'not.found', `No route for ${c.req.method} ${c.req.path}.`)));
  app.use('/api/v2/*', requireBearer(deps.services.auth));
  app.route('/console', consoleApp(deps.services, deps.shutdown));

  app.route('/', opsRoutes({ metrics: deps.metrics, ready: deps.ready }));
  app.route('/', authRoutes(deps.services.auth));
  app.route('/', sendRoutes(deps.services.send, deps.metrics, deps.log));
  app.route('/', conversationsRoutes(deps.services.conversations));
  app.route('/', agentReplyRoutes(deps.services.agentReplies, deps.log));
  app.route('/', threadingRoutes(deps.services.threading, deps.services.conversations));
  app.route('/', deliveryRoutes({ conversations: deps.services.conversations, inbound: deps.services.inbound, dataDir: deps.dataDir }));
  app.route('/', domainsRoutes(deps.services.domains));
  app.route('/', quarantineRoutes(deps.services.inbound));
  app.route('/', queuesRoutes(deps.services.queues));
  app.route('/', wrapupCodesRoutes(deps.services.wrapupCodes));
  app.route('/', agentsRoutes(deps.services.agents));
  app.route('/', membersRoutes(deps.services.agents));
  app.route('/', acdRoutes(deps.services.acd));
  app.route('/', suppressionRoutes(deps.services.suppressions));
  app.route('/', eventsRoutes(deps.services.events));
  app.route('/', templatesRoutes(deps.services.templates));
  app.route('/', configurationsRoutes(deps.services.configurations));
  app.route('/', invokeRoutes(deps.services.invoke));
  app.route('/', webhooksRoutes(deps.services.webhooks));
  app.route('/', schedulesRoutes(deps.services.schedules));
  app.route('/', timelineRoutes(deps.services.timeline));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'A token from POST /oauth/token.' });
  const info = {
    title: 'threadline',
    version: deps.version,
    description:
      'Agentless email with a way back. Genesys Cloud compatible paths, field names and error bodies. ' +
      'Each operation names the permissions it needs (`x-permissions`, any one of them) and the largest body it takes (`x-max-body-bytes`).',
  };
  app.get('/openapi.json', (c) => c.json(describeAccess(app.getOpenAPI31Document({ openapi: '3.1.0', info }))));
  return app;
}
