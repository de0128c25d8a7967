import { beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../src/auth/login-throttle.js';
import { PERMISSIONS } from '../../src/auth/permissions.js';
import { manualClock } from '../../src/clock.js';
import { createAgent, PASSWORD, passwordToken } from '../helpers/acd.js';
import { startService, type TestService } from '../helpers/service.js';

// Changing a user after creating them: name and permissions (PATCH), an administrator's password
// reset, and a user's own password change. A password change ends what the old one opened.

const NEW_PASSWORD = 'another horse, another staple';
/** Past the 10 s for which a token's user is remembered (auth.service.ts). */
const PAST_CACHE_MS = 10_001;

describe('changing users', () => {
  const clock = manualClock(Date.UTC(2026, 10, 22, 8));
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService({}, { clock });
  });

  it('renames a user and replaces their permissions; their token acts with the new ones', async () => {
    const agent = await createAgent(svc);
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: agent.token })).status).toBe(200);
    const res = await svc.api('PATCH', `/api/v2/users/${agent.id}`, { body: { name: 'Ada Renamed', permissions: [PERMISSIONS.emailView] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: agent.id, name: 'Ada Renamed', permissions: [PERMISSIONS.emailView] });
    expect((await svc.api('GET', `/api/v2/users/${agent.id}`)).body.name).toBe('Ada Renamed');
    clock.advance(PAST_CACHE_MS);
    await svc.newToken();
    expect((await svc.api('GET', '/api/v2/routing/queues', { token: agent.token })).status).toBe(403);
  });

  it('answers bad changes with an error naming the problem', async () => {
    const agent = await createAgent(svc);
    const bad = await svc.api('PATCH', `/api/v2/users/${agent.id}`, { body: { permissions: ['everything'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].fieldName).toBe('permissions');
    const empty = await svc.api('PATCH', `/api/v2/users/${agent.id}`, { body: { name: ' ' } });
    expect(empty.status).toBe(400);
    expect(empty.body.details[0].fieldName).toBe('name');
    const short = await svc.api('POST', `/api/v2/users/${agent.id}/password`, { body: { newPassword: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.details[0].fieldName).toBe('newPassword');
    expect((await svc.api('PATCH', '/api/v2/users/00000000-0000-7000-8000-000000000000', { body: { name: 'Nobody' } })).status).toBe(404);
  });

  it('lets a user editor change or delete only users whose permissions it holds, and give only what it holds', async () => {
    const editor = await createAgent(svc, { permissions: [PERMISSIONS.userEdit, PERMISSIONS.userSetPassword, PERMISSIONS.userView, PERMISSIONS.emailView] });
    const admin = await createAgent(svc, { permissions: ['*:*:*'] });
    const agent = await createAgent(svc, { permissions: [PERMISSIONS.emailView] });
    const narrowAdmin = await svc.api('PATCH', `/api/v2/users/${admin.id}`, { token: editor.token, body: { permissions: [] } });
    expect(narrowAdmin.status).toBe(403);
    expect(narrowAdmin.body.details[0]).toMatchObject({ fieldName: 'userId' });
    // Setting an administrator's password would be logging in as them.
    expect((await svc.api('POST', `/api/v2/users/${admin.id}/password`, { token: editor.token, body: { newPassword: NEW_PASSWORD } })).status).toBe(403);
    expect((await passwordToken(svc, admin.email)).status).toBe(200);
    const widen = await svc.api('PATCH', `/api/v2/users/${agent.id}`, { token: editor.token, body: { permissions: [PERMISSIONS.orgAdmin] } });
    expect(widen.status).toBe(403);
    expect(widen.body.details[0]).toMatchObject({ fieldName: 'permissions', entityName: PERMISSIONS.orgAdmin });
    expect((await svc.api('PATCH', `/api/v2/users/${agent.id}`, { token: editor.token, body: { name: 'Changed by the editor' } })).status).toBe(200);
    // Without the permission: 403.
    expect((await svc.api('PATCH', `/api/v2/users/${editor.id}`, { token: agent.token, body: { name: 'x' } })).status).toBe(403);

    const editorWhoDeletes = await createAgent(svc, { permissions: [PERMISSIONS.userDelete, PERMISSIONS.emailView] });
    expect((await svc.api('DELETE', `/api/v2/users/${admin.id}`, { token: editorWhoDeletes.token })).status).toBe(403);
    const session = await svc.running.services.consoleSessions.create(svc.init.orgId, agent.id);
    expect((await svc.api('DELETE', `/api/v2/users/${agent.id}`, { token: editorWhoDeletes.token })).status).toBe(204);
    // The deleted user's console sessions end with them, not when they are next looked up.
    const sessionsLeft = await svc.running.services.batcher.run((trx) => trx.selectFrom('console_sessions').select('token_hash').where('user_id', '=', agent.id).execute());
    expect(sessionsLeft).toEqual([]);
    expect(await svc.running.services.consoleSessions.resolve(session.token)).toBeNull();
  });

  it("an administrator's reset: the old password and the old tokens stop working, the console sessions end", async () => {
    const agent = await createAgent(svc);
    const { consoleSessions } = svc.running.services;
    const session = await consoleSessions.create(svc.init.orgId, agent.id);
    expect(await consoleSessions.resolve(session.token)).not.toBeNull();

    const reset = await svc.api('POST', `/api/v2/users/${agent.id}/password`, { body: { newPassword: NEW_PASSWORD } });
    expect(reset.status, JSON.stringify(reset.body)).toBe(204);
    expect(await consoleSessions.resolve(session.token)).toBeNull();
    expect((await passwordToken(svc, agent.email, PASSWORD)).status).toBe(400);
    const fresh = await passwordToken(svc, agent.email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);

    clock.advance(PAST_CACHE_MS);
    await svc.newToken();
    const old = await svc.api('GET', '/api/v2/users/me', { token: agent.token });
    expect(old.status).toBe(401);
    expect(old.body.message).toContain('password changed');
    expect((await svc.api('GET', '/api/v2/users/me', { token: fresh.body.access_token })).body.id).toBe(agent.id);
  });

  it("a user's own change needs the current password, and wrong guesses are throttled as logins are", async () => {
    const agent = await createAgent(svc);
    const wrong = await svc.api('POST', '/api/v2/users/me/password', { token: agent.token, body: { oldPassword: 'not it at all', newPassword: NEW_PASSWORD } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details[0].fieldName).toBe('oldPassword');
    // A client-credentials token acts for no user.
    expect((await svc.api('POST', '/api/v2/users/me/password', { body: { oldPassword: PASSWORD, newPassword: NEW_PASSWORD } })).status).toBe(400);

    const ok = await svc.api('POST', '/api/v2/users/me/password', { token: agent.token, body: { oldPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(204);
    expect((await passwordToken(svc, agent.email, NEW_PASSWORD)).status).toBe(200);

    const guesser = await createAgent(svc);
    let last = 0;
    for (let i = 0; i <= LOGIN_LIMITS.perUserAndAddress; i++) {
      last = (await svc.api('POST', '/api/v2/users/me/password', { token: guesser.token, body: { oldPassword: `guess ${i}`, newPassword: NEW_PASSWORD } })).status;
    }
    expect(last).toBe(429);
    const right = await svc.api('POST', '/api/v2/users/me/password', { token: guesser.token, body: { oldPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(right.status).toBe(429);
  });
});
