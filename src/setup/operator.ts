import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Services } from '../deps.js';
import { AppError } from '../errors.js';

// What `threadline clients create` and `threadline users create` do, through the same services
// the HTTP API uses, so an operator needs no curl and no token to set up a client or an agent.

/** The organization an operator named (by name or id), or the only one there is. */
export async function resolveOrganization(services: Services, nameOrId: string | undefined) {
  if (nameOrId !== undefined) {
    const found = await services.auth.findOrganizations(nameOrId);
    if (found.length === 1) return found[0]!;
    if (found.length === 0) throw new AppError(404, 'organization.not.found', `No organization is named or has the id "${nameOrId}".`);
    throw new AppError(409, 'organization.ambiguous', `${found.length} organizations are named "${nameOrId}"; give its id instead: ${found.map((o) => o.id).join(', ')}.`);
  }
  const some = await services.auth.listOrganizations(2);
  if (some.length === 1) return some[0]!;
  if (some.length === 0) throw new AppError(404, 'organization.not.found', 'There is no organization yet; run `threadline init` first.');
  throw new AppError(400, 'organization.required', 'There are several organizations; name one with --org NAME|ID.');
}

export async function createClientFor(services: Services, opts: { org?: string; name: string; permissions: string[] }) {
  const org = await resolveOrganization(services, opts.org);
  const client = await services.auth.createClient(org.id, opts.name, opts.permissions);
  return { orgId: org.id, orgName: org.name, clientId: client.id, clientSecret: client.secret, name: client.name, permissions: client.permissions };
}

/** Without a password given, one is generated and shown once, as a client secret is. */
export async function createUserFor(services: Services, opts: { org?: string; name: string; email: string; password?: string; permissions?: string[] }) {
  // The same bounds as POST /api/v2/users.
  if (!z.email().max(254).safeParse(opts.email).success) throw new AppError(400, 'bad.request', `"${opts.email}" is not an email address.`);
  if (opts.password !== undefined && (opts.password.length < 8 || opts.password.length > 200)) throw new AppError(400, 'bad.request', 'The password must hold 8 to 200 characters.');
  const org = await resolveOrganization(services, opts.org);
  const password = opts.password ?? randomBytes(15).toString('base64url');
  const input = {
    name: opts.name,
    email: opts.email,
    password,
    ...(opts.permissions ? { permissions: opts.permissions } : {}),
  };
  // The operator at the command line holds every permission: it may grant any.
  const user = await services.agents.createUser(org.id, input, ['*:*:*']);
  return { orgId: org.id, orgName: org.name, userId: user.id, name: user.name, email: user.email, permissions: user.permissions, ...(opts.password === undefined ? { password } : {}) };
}
