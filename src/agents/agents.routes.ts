import { createRoute, z } from '@hono/zod-openapi';
import { AGENT_PERMISSIONS, PERMISSIONS } from '../auth/permissions.js';
import { ErrorBodySchema, json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { AgentsService } from './agents.service.js';
import { requireUser } from './user-context.js';

export const UserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    username: z.string(),
    state: z.enum(['active', 'deleted']),
    permissions: z.array(z.string()),
    dateCreated: z.string(),
    selfUri: z.string(),
  })
  .openapi('User');
const UserListing = z
  .object({ entities: z.array(UserSchema), pageSize: z.number(), pageNumber: z.number(), total: z.number(), pageCount: z.number(), selfUri: z.string() })
  .openapi('UserEntityListing');
export const PagingQuery = z.object({
  pageSize: z.coerce.number().int().min(1).max(500).optional(),
  pageNumber: z.coerce.number().int().min(1).optional(),
});
const Password = z.string().min(8).max(200);
export const NewUserBody = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254),
  password: Password,
  permissions: z.array(z.string()).max(100).optional(),
});
export const UserChangesBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  permissions: z.array(z.string()).max(100).optional(),
});
export const SetPasswordBody = z.object({ newPassword: Password });
const OwnPasswordBody = z.object({ oldPassword: z.string().min(1).max(200), newPassword: Password });
const tags = ['Users'];
const userId = z.object({ userId: z.string() });

const create = createRoute({
  method: 'post',
  path: '/api/v2/users',
  summary: 'Create a user (an agent who logs in with grant_type=password)',
  description: `Without \`permissions\` the user gets the agent set (${AGENT_PERMISSIONS.join(', ')}). The caller must hold every permission it gives. The email address is the username.`,
  tags,
  ...permit([PERMISSIONS.userAdd]),
  request: {
    body: jsonBody(NewUserBody),
  },
  responses: { 200: json(UserSchema, 'The user.'), 409: json(ErrorBodySchema, 'A user with this email exists.'), ...standardErrors },
});
const list = createRoute({
  method: 'get',
  path: '/api/v2/users',
  summary: "List the organization's users",
  tags,
  ...permit([PERMISSIONS.userView]),
  request: { query: PagingQuery },
  responses: { 200: json(UserListing, 'One page of users, by name.'), ...standardErrors },
});
const me = createRoute({
  method: 'get',
  path: '/api/v2/users/me',
  summary: 'The user the token acts for',
  tags,
  ...permit([]),
  responses: { 200: json(UserSchema, 'The user.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: '/api/v2/users/{userId}',
  summary: 'Get a user',
  tags,
  ...permit([PERMISSIONS.userView]),
  request: { params: userId },
  responses: { 200: json(UserSchema, 'The user.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v2/users/{userId}',
  summary: 'Delete a user: no more logins, their tokens stop working within 10 seconds, and they leave every queue',
  tags,
  ...permit([PERMISSIONS.userDelete]),
  request: { params: userId },
  responses: { 204: { description: 'Deleted.' }, ...standardErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/api/v2/users/{userId}',
  summary: 'Rename a user or replace their permissions; their tokens and console sessions act with the new ones within 10 seconds',
  description: 'The caller must hold every permission the user holds and every permission it gives.',
  tags,
  ...permit([PERMISSIONS.userEdit]),
  request: { params: userId, body: jsonBody(UserChangesBody) },
  responses: { 200: json(UserSchema, 'The user.'), ...standardErrors },
});
const setPassword = createRoute({
  method: 'post',
  path: '/api/v2/users/{userId}/password',
  summary: "Set a user's password: their tokens stop working within 10 seconds and their console sessions end",
  description: 'The caller must hold every permission the user holds.',
  tags,
  ...permit([PERMISSIONS.userSetPassword]),
  request: { params: userId, body: jsonBody(SetPasswordBody) },
  responses: { 204: { description: 'Changed.' }, ...standardErrors },
});
const ownPassword = createRoute({
  method: 'post',
  path: '/api/v2/users/me/password',
  summary: "Change the token's user's own password, given the current one; the user's other tokens and console sessions end",
  description: 'Wrong current passwords count as failed logins (429 past the limit).',
  tags,
  ...permit([]),
  request: { body: jsonBody(OwnPasswordBody) },
  responses: { 204: { description: 'Changed.' }, ...standardErrors },
});

/** The page a PagingQuery asks for: 25 entities from the first by default. */
export const paging = (q: { pageSize?: number; pageNumber?: number }) => ({ pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 });

export function agentsRoutes(agents: AgentsService) {
  const r = newRouter();
  r.openapi(create, async (c) => {
    const p = c.get('principal');
    return c.json(await agents.createUser(p.orgId, c.req.valid('json'), p.permissions), 200);
  });
  r.openapi(list, async (c) => c.json(await agents.listUsers(c.get('principal').orgId, paging(c.req.valid('query'))), 200));
  // Registered before /users/{userId} so that "me" is not taken for an id.
  r.openapi(me, async (c) => {
    const u = requireUser(c);
    return c.json(await agents.getUser(u.orgId, u.userId), 200);
  });
  r.openapi(ownPassword, async (c) => {
    const u = requireUser(c);
    const b = c.req.valid('json');
    await agents.changeOwnPassword(u.orgId, u.userId, { ...b, clientAddress: c.get('clientAddress')() });
    return c.body(null, 204);
  });
  r.openapi(get, async (c) => c.json(await agents.getUser(c.get('principal').orgId, c.req.valid('param').userId), 200));
  r.openapi(update, async (c) => {
    const p = c.get('principal');
    return c.json(await agents.updateUser(p.orgId, c.req.valid('param').userId, c.req.valid('json'), p.permissions), 200);
  });
  r.openapi(setPassword, async (c) => {
    const p = c.get('principal');
    await agents.setPassword(p.orgId, c.req.valid('param').userId, c.req.valid('json').newPassword, p.permissions);
    return c.body(null, 204);
  });
  r.openapi(remove, async (c) => {
    const p = c.get('principal');
    await agents.deleteUser(p.orgId, c.req.valid('param').userId, p.permissions);
    return c.body(null, 204);
  });
  return r;
}
