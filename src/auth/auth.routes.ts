import { createRoute, z } from '@hono/zod-openapi';
import { AppError, badRequest } from '../errors.js';
import { allow } from '../http/auth.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { ErrorBodySchema, json, jsonBody, newRouter, permit, publicRoute, standardErrors } from '../http/router.js';
import type { AuthService } from './auth.service.js';
import { PERMISSIONS } from './permissions.js';

const TokenSchema = z.object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number() }).openapi('AccessToken');
const ClientSchema = z
  .object({ id: z.string(), name: z.string(), authorizedGrantType: z.string(), permissions: z.array(z.string()), dateCreated: z.string(), secret: z.string().optional() })
  .openapi('OAuthClient');
const SuppressedSendsSchema = z
  .enum(['refuse', 'record'])
  .openapi({ description: 'A send to a suppressed address: refused with 400 recipient.suppressed, or recorded with status suppressed and never sent.' });
const OrgSchema = z
  .object({ id: z.string(), name: z.string(), agentlessEmailRateLimitPerMinute: z.number(), suppressedSends: SuppressedSendsSchema, dateCreated: z.string() })
  .openapi('Organization');

const token = createRoute({
  method: 'post',
  path: '/oauth/token',
  summary: 'Get an access token (client-credentials or password grant)',
  description:
    'Form body `grant_type=client_credentials`, or `grant_type=password&username=…&password=…` for an agent (RFC 6749 §4.3: the token acts for that user, with the permissions both the user and the client hold). Either way the client id and secret by HTTP Basic or as `client_id` / `client_secret` fields.',
  tags: ['Authentication'],
  ...publicRoute(BODY_LIMITS.form),
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({
            grant_type: z.string(),
            client_id: z.string().optional(),
            client_secret: z.string().optional(),
            username: z.string().optional(),
            password: z.string().optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: json(TokenSchema, 'A bearer token.'),
    413: standardErrors[413],
    400: json(ErrorBodySchema, 'Bad grant, or (password grant) a wrong username or password: `invalid_grant`.'),
    401: json(ErrorBodySchema, 'Wrong client credentials.'),
    429: json(ErrorBodySchema, '(password grant) Too many failed logins for this user from this address, or from this address: wait `Retry-After` seconds.'),
  },
});

export const NewClientBody = z.object({
  name: z.string().min(1).max(200),
  authorizedGrantType: z.literal('CLIENT-CREDENTIALS').optional(),
  permissions: z.array(z.string()).min(1),
});
const createClient = createRoute({
  method: 'post',
  path: '/api/v2/oauth/clients',
  summary: 'Create an OAuth client (client credentials) with chosen permissions',
  description: 'The secret is returned once, in this response only.',
  tags: ['Authentication'],
  ...permit([PERMISSIONS.clientEdit]),
  request: {
    body: jsonBody(NewClientBody),
  },
  responses: { 200: json(ClientSchema, 'The client, with its secret.'), ...standardErrors },
});
const listClients = createRoute({
  method: 'get',
  path: '/api/v2/oauth/clients',
  summary: "List the organization's OAuth clients",
  tags: ['Authentication'],
  ...permit([PERMISSIONS.clientView, PERMISSIONS.clientEdit]),
  responses: { 200: json(z.object({ entities: z.array(ClientSchema) }), 'The clients (never their secrets).'), ...standardErrors },
});
const deleteClient = createRoute({
  method: 'delete',
  path: '/api/v2/oauth/clients/{clientId}',
  summary: 'Disable an OAuth client; its tokens stop working within 10 seconds',
  tags: ['Authentication'],
  ...permit([PERMISSIONS.clientEdit]),
  request: { params: z.object({ clientId: z.string() }) },
  responses: { 204: { description: 'Disabled.' }, ...standardErrors },
});
const getOrg = createRoute({
  method: 'get',
  path: '/api/v2/organizations/me',
  summary: "The caller's organization",
  tags: ['Organization'],
  ...permit([PERMISSIONS.orgView, PERMISSIONS.orgAdmin]),
  responses: { 200: json(OrgSchema, 'The organization.'), ...standardErrors },
});
const patchOrg = createRoute({
  method: 'patch',
  path: '/api/v2/organizations/me',
  summary: "Change the organization's name, agentless send limit or what a send to a suppressed address does",
  description: 'The name and suppressedSends need directory:organization:admin; the send limit needs directory:organizationLimits:edit.',
  tags: ['Organization'],
  ...permit([PERMISSIONS.orgAdmin, PERMISSIONS.orgLimitsEdit]),
  request: {
    body: jsonBody(
      z.object({
        name: z.string().min(1).max(200).optional(),
        agentlessEmailRateLimitPerMinute: z.number().int().min(1).max(10_000_000).optional(),
        suppressedSends: SuppressedSendsSchema.optional(),
      }),
    ),
  },
  responses: { 200: json(OrgSchema, 'The organization.'), ...standardErrors },
});

/** The client's HTTP Basic credentials; null without a Basic header, a 401 when the header is malformed. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  if (!header || !/^basic(\s|$)/i.test(header)) return null;
  // RFC 6749 §5.2: failed client authentication is invalid_client, whatever was wrong with it.
  const malformed = (why: string) => new AppError(401, 'invalid_client', `The HTTP Basic credentials are malformed: ${why}.`);
  const m = /^basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (!m) throw malformed('expected "Basic " and base64 of client_id:client_secret');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformed('no colon between the client id and the secret');
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: dec(decoded.slice(0, colon)), secret: dec(decoded.slice(colon + 1)) };
  } catch {
    throw malformed('a bad %-escape in the client id or secret');
  }
}

export function authRoutes(auth: AuthService) {
  const r = newRouter();
  r.openapi(token, async (c) => {
    const form = c.req.valid('form');
    if (form.grant_type !== 'client_credentials' && form.grant_type !== 'password') {
      throw badRequest('grant_type', `grant_type must be client_credentials or password (got "${form.grant_type}").`, 'unsupported_grant_type');
    }
    const creds = basicCredentials(c.req.header('authorization')) ?? (form.client_id && form.client_secret ? { id: form.client_id, secret: form.client_secret } : null);
    if (!creds) throw badRequest('client_id', 'Send the client id and secret by HTTP Basic or as client_id and client_secret.', 'invalid_client');
    c.header('Cache-Control', 'no-store');
    if (form.grant_type === 'password') {
      if (!form.username) throw badRequest('username', "The password grant needs a username (the user's email address).", 'invalid_request');
      if (!form.password) throw badRequest('password', 'The password grant needs a password.', 'invalid_request');
      return c.json(await auth.issuePasswordToken(creds.id, creds.secret, form.username, form.password, c.get('clientAddress')()), 200);
    }
    return c.json(await auth.issueToken(creds.id, creds.secret), 200);
  });

  r.openapi(createClient, async (c) => {
    const p = c.get('principal');
    const body = c.req.valid('json');
    return c.json(await auth.createClient(p.orgId, body.name, body.permissions, p.permissions), 200);
  });
  r.openapi(listClients, async (c) => {
    const p = c.get('principal');
    return c.json({ entities: await auth.listClients(p.orgId) }, 200);
  });
  r.openapi(deleteClient, async (c) => {
    const p = c.get('principal');
    await auth.deleteClient(p.orgId, c.req.valid('param').clientId);
    return c.body(null, 204);
  });
  r.openapi(getOrg, async (c) => {
    const p = c.get('principal');
    return c.json(await auth.getOrganization(p.orgId), 200);
  });
  r.openapi(patchOrg, async (c) => {
    const patch = c.req.valid('json');
    if (patch.name !== undefined || patch.suppressedSends !== undefined) allow(c, PERMISSIONS.orgAdmin);
    if (patch.agentlessEmailRateLimitPerMinute !== undefined) allow(c, PERMISSIONS.orgLimitsEdit);
    return c.json(await auth.updateOrganization(c.get('principal').orgId, patch), 200);
  });
  return r;
}
