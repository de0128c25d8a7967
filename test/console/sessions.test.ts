import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { SESSION_LIMITS } from '../../src/console/sessions.service.js';
import { PASSWORD } from '../helpers/acd.js';
import { consoleUser, postWithCookie } from '../helpers/console.js';
import { startService, type TestService } from '../helpers/service.js';

async function signedIn(svc: TestService, email: string) {
  const res = await postWithCookie(svc, '/console/sign-in', '', { email, password: PASSWORD });
  expect(res.status).toBe(303);
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('threadline_session='))!
    .split(';')[0]!;
}
const inboxStatus = async (svc: TestService, cookie: string) => (await fetch(`${svc.url}/console`, { headers: { cookie }, redirect: 'manual' })).status;

describe('console sessions', () => {
  it('end after the idle time without requests, and at the absolute end however busy', async () => {
    const clock = manualClock(Date.now());
    const svc = await startService({}, { clock });
    const user = await consoleUser(svc, 'agent');

    const idle = await signedIn(svc, user.email);
    clock.advance(SESSION_LIMITS.idleMs - 60_000);
    expect(await inboxStatus(svc, idle)).toBe(200);
    // The request above counted as activity: the idle time starts again from it.
    clock.advance(SESSION_LIMITS.idleMs - 60_000);
    expect(await inboxStatus(svc, idle)).toBe(200);
    clock.advance(SESSION_LIMITS.idleMs);
    expect(await inboxStatus(svc, idle)).toBe(303);

    const busy = await signedIn(svc, user.email);
    const step = SESSION_LIMITS.idleMs / 2;
    let elapsed = 0;
    for (; elapsed + step < SESSION_LIMITS.absoluteMs; elapsed += step) {
      clock.advance(step);
      expect(await inboxStatus(svc, busy)).toBe(200);
    }
    clock.advance(step);
    expect(await inboxStatus(svc, busy)).toBe(303);
  });

  it(`are at most ${SESSION_LIMITS.perUser} a user: signing in once more ends the oldest`, async () => {
    const clock = manualClock(Date.now());
    const svc = await startService({}, { clock });
    const user = await consoleUser(svc, 'agent');
    const cookies: string[] = [];
    for (let i = 0; i <= SESSION_LIMITS.perUser; i++) {
      cookies.push(await signedIn(svc, user.email));
      clock.advance(1000);
    }
    expect(await inboxStatus(svc, cookies[0]!)).toBe(303);
    for (const cookie of cookies.slice(1)) expect(await inboxStatus(svc, cookie)).toBe(200);
  });

  it('end when their user is deleted', async () => {
    const svc = await startService();
    const user = await consoleUser(svc, 'agent');
    const cookie = await signedIn(svc, user.email);
    expect(await inboxStatus(svc, cookie)).toBe(200);
    expect((await svc.api('DELETE', `/api/v2/users/${user.id}`)).status).toBe(204);
    // The auth service's cache of users holds for a few seconds at most.
    const deadline = Date.now() + 15_000;
    while ((await inboxStatus(svc, cookie)) !== 303) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('signs a person in to the organization whose user the password matches, when one email is a user of two', async () => {
    const svc = await startService();
    const { auth, agents } = svc.running.services;
    const other = await auth.createOrganization('Other Org');
    const email = 'shared-person@example.com';
    const here = await agents.createUser(svc.init.orgId, { name: 'Here', email, password: PASSWORD }, ['*:*:*']);
    const there = await agents.createUser(other.id, { name: 'There', email, password: `${PASSWORD} elsewhere` }, ['*:*:*']);
    const signedInAs = async (password: string) => {
      const res = await postWithCookie(svc, '/console/sign-in', '', { email, password });
      expect(res.status).toBe(303);
      const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
      return /Signed in as <strong>([^<]+)<\/strong>/.exec(await (await fetch(`${svc.url}/console`, { headers: { cookie } })).text())?.[1];
    };
    expect(await signedInAs(PASSWORD)).toBe(here.name);
    expect(await signedInAs(`${PASSWORD} elsewhere`)).toBe(there.name);
  });
});
