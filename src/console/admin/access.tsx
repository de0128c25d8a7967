import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { NewUserBody, SetPasswordBody, UserChangesBody } from '../../agents/agents.routes.js';
import { NewClientBody } from '../../auth/auth.routes.js';
import { ADMIN_PERMISSIONS, AGENT_PERMISSIONS, hasAnyPermission, PERMISSIONS as P } from '../../auth/permissions.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { formOf, valid, when } from '../form.js';
import { action, page } from '../guard.js';
import { CsrfField } from '../layout.js';
import { redirectWith } from '../render.js';
import { Back, Copyable, RowAction, Table } from './parts.js';

// Who may sign in and call the API: users (agents and administrators) and OAuth clients, whose
// secret is shown once (the same agents and auth services as /api/v2/users and /api/v2/oauth/clients).

const USERS = '/console/admin/users';
const CLIENTS = '/console/admin/clients';
const USERS_LISTED = 500;
const UserRef = z.object({ userId: z.string().min(1).max(100) });
const RoleChange = UserRef.extend({ role: z.enum(['agent', 'administrator']) });
const PasswordReset = UserRef.extend(SetPasswordBody.shape);
const ClientRef = z.object({ clientId: z.string().min(1).max(100) });
/** The console's roles: the API's agent set (its default) or every permission. */
const ROLES = { agent: undefined, administrator: ADMIN_PERMISSIONS } as const;
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const roleOf = (permissions: string[]) => (same(permissions, ADMIN_PERMISSIONS) ? 'administrator' : same(permissions, AGENT_PERMISSIONS) ? 'agent' : permissions.join(', '));
/** Permissions typed one a line (or separated by commas). */
const splitList = (v: string | string[] | undefined) =>
  [v ?? []]
    .flat()
    .flatMap((s) => s.split(/[\r\n,]+/))
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function accessRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  const { agents, auth, consoleSessions } = services;

  r.get('/admin/users', page(P.userView, P.userAdd), async (c) => {
    const p = c.get('principal');
    const users = await agents.listUsers(p.orgId, { pageSize: USERS_LISTED, pageNumber: 1 });
    const canRemove = hasAnyPermission(p.permissions, [P.userDelete]);
    const canEdit = hasAnyPermission(p.permissions, [P.userEdit]);
    const canReset = hasAnyPermission(p.permissions, [P.userSetPassword]);
    const UserChoice = ({ id }: { id: string }) => (
      <select id={id} name="userId" required>
        {users.entities.map((u) => (
          <option value={u.id}>{`${u.name} <${u.email}>`}</option>
        ))}
      </select>
    );
    const token = c.get('session').csrfToken;
    return render(
      c,
      { title: 'Users', current: '/console/admin' },
      <>
        <h1>Users</h1>
        <Table label="Users" columns={['Name', 'Email', 'Role', 'Added', canRemove && 'Action']}>
          {users.entities.map((u) => (
            <tr>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>{roleOf(u.permissions)}</td>
              <td>{when(u.dateCreated)}</td>
              {canRemove && <td>{u.id !== p.userId && <RowAction action={`${USERS}/remove`} token={token} label="Remove" name={`Remove ${u.email}`} fields={{ userId: u.id }} />}</td>}
            </tr>
          ))}
        </Table>
        <h2>Add a user</h2>
        <form method="post" action={USERS} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="user-name">Name</label>
          <input id="user-name" name="name" required maxlength={200} />
          <label for="user-email">Email</label>
          <input id="user-email" name="email" type="email" required maxlength={254} />
          <label for="user-password">Password (at least 8 characters)</label>
          <input id="user-password" name="password" type="password" required minlength={8} maxlength={200} autocomplete="new-password" />
          <label for="user-role">Role</label>
          <select id="user-role" name="role">
            <option value="agent">Agent</option>
            <option value="administrator">Administrator</option>
          </select>
          <button type="submit">Add the user</button>
        </form>
        {canEdit && (
          <>
            <h2>Change a role</h2>
            <form method="post" action={`${USERS}/role`} class="stack">
              <CsrfField token={token} />
              <label for="role-user">User</label>
              <UserChoice id="role-user" />
              <label for="role-new">New role</label>
              <select id="role-new" name="role">
                <option value="agent">Agent</option>
                <option value="administrator">Administrator</option>
              </select>
              <button type="submit">Change the role</button>
            </form>
          </>
        )}
        {canReset && (
          <>
            <h2>Set a password</h2>
            <p>The user's tokens stop working and their console sessions end; they sign in with the new password.</p>
            <form method="post" action={`${USERS}/password`} class="stack">
              <CsrfField token={token} />
              <label for="reset-user">User</label>
              <UserChoice id="reset-user" />
              <label for="reset-password">New password (at least 8 characters)</label>
              <input id="reset-password" name="newPassword" type="password" required minlength={8} maxlength={200} autocomplete="new-password" />
              <button type="submit">Set the password</button>
            </form>
          </>
        )}
      </>,
    );
  });

  r.post('/admin/users', action(consoleSessions, P.userAdd), async (c) => {
    const { role, ...form } = await formOf(c);
    const permissions = role === 'administrator' ? ROLES.administrator : ROLES.agent;
    const body = valid(NewUserBody, { ...form, ...(permissions ? { permissions } : {}) });
    const p = c.get('principal');
    const u = await agents.createUser(p.orgId, body, p.permissions);
    return redirectWith(c, USERS, `${u.email} was added; they sign in with the password given.`);
  });

  r.post('/admin/users/role', action(consoleSessions, P.userEdit), async (c) => {
    const { userId, role } = valid(RoleChange, await formOf(c));
    const p = c.get('principal');
    const changes = valid(UserChangesBody, { permissions: ROLES[role] ?? AGENT_PERMISSIONS });
    const u = await agents.updateUser(p.orgId, userId, changes, p.permissions);
    return redirectWith(c, USERS, `${u.email} is now ${role === 'administrator' ? 'an administrator' : 'an agent'}.`);
  });

  r.post('/admin/users/password', action(consoleSessions, P.userSetPassword), async (c) => {
    const { userId, newPassword } = valid(PasswordReset, await formOf(c));
    const p = c.get('principal');
    await agents.setPassword(p.orgId, userId, newPassword, p.permissions);
    return redirectWith(c, USERS, 'The password was set: the user signs in with it, and their other sessions and tokens have ended.');
  });

  r.post('/admin/users/remove', action(consoleSessions, P.userDelete), async (c) => {
    const { userId } = valid(UserRef, await formOf(c));
    const p = c.get('principal');
    await agents.deleteUser(p.orgId, userId, p.permissions);
    return redirectWith(c, USERS, 'The user was removed: they can no longer sign in.');
  });

  r.get('/admin/clients', page(P.clientView, P.clientEdit), async (c) => {
    const p = c.get('principal');
    const clients = await auth.listClients(p.orgId);
    const canEdit = hasAnyPermission(p.permissions, [P.clientEdit]);
    const token = c.get('session').csrfToken;
    return render(
      c,
      { title: 'OAuth clients', current: '/console/admin' },
      <>
        <h1>OAuth clients</h1>
        <Table label="OAuth clients" columns={['Name', 'Client id', 'Permissions', 'Added', canEdit && 'Action']}>
          {clients.map((k) => (
            <tr>
              <td>{k.name}</td>
              <td>
                <code>{k.id}</code>
              </td>
              <td>{k.permissions.join(', ')}</td>
              <td>{when(k.dateCreated)}</td>
              {canEdit && (
                <td>{k.id !== p.clientId && <RowAction action={`${CLIENTS}/disable`} token={token} label="Disable" name={`Disable ${k.name} (${k.id})`} fields={{ clientId: k.id }} />}</td>
              )}
            </tr>
          ))}
        </Table>
        <h2>Add a client</h2>
        <form method="post" action={CLIENTS} class="stack">
          <CsrfField token={c.get('session').csrfToken} />
          <label for="client-name">Client name</label>
          <input id="client-name" name="name" required maxlength={200} />
          <label for="client-permissions">Permissions (one a line, such as conversation:agentlessEmail:send)</label>
          <textarea id="client-permissions" name="permissions" required rows={4} />
          <button type="submit">Add the client</button>
        </form>
      </>,
    );
  });

  r.post('/admin/clients', action(consoleSessions, P.clientEdit), async (c) => {
    const form = await formOf(c);
    const body = valid(NewClientBody, { name: form.name, permissions: splitList(form.permissions) });
    const p = c.get('principal');
    const made = await auth.createClient(p.orgId, body.name, body.permissions, p.permissions);
    // The secret exists in clear only in this answer: it is shown here, not carried by a redirect.
    return render(
      c,
      { title: 'Client added', current: '/console/admin' },
      <>
        <h1>Client added</h1>
        <p>
          Client id: <Copyable id="client-id" text={made.id} label="Copy the client id" />
        </p>
        <p>Copy its secret now: it is shown only this once.</p>
        <p>
          <Copyable id="client-secret" text={made.secret} label="Copy the client secret" />
        </p>
        <Back href={CLIENTS} label="Back to the clients" />
      </>,
    );
  });
  r.post('/admin/clients/disable', action(consoleSessions, P.clientEdit), async (c) => {
    const { clientId } = valid(ClientRef, await formOf(c));
    await auth.deleteClient(c.get('principal').orgId, clientId);
    return redirectWith(c, CLIENTS, 'The client was disabled: its tokens stop working within seconds.');
  });
  return r;
}
