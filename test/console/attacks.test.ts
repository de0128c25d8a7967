import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, PASSWORD } from '../helpers/acd.js';
import { consoleUser, postWithCookie } from '../helpers/console.js';
import { startService, type TestService } from '../helpers/service.js';

// What an attacker tries against the console from outside: each test is one hole that was open.

const signInForm = (svc: TestService, email: string, cookie = '', headers: Record<string, string> = {}) =>
  postWithCookie(svc, '/console/sign-in', cookie, { email, password: PASSWORD }, headers);
const sessionCookie = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith('threadline_session='))
    ?.split(';')[0];
const statusOf = async (svc: TestService, cookie: string) => (await fetch(`${svc.url}/console`, { headers: { cookie }, redirect: 'manual' })).status;

describe('console: attacks from outside', () => {
  let svc: TestService;
  let agent: Agent;
  beforeAll(async () => {
    svc = await startService({ THREADLINE_TRUSTED_PROXIES: '127.0.0.1' });
    agent = await consoleUser(svc, 'agent');
  });

  it('ends the session a browser already had when it signs in again: the old cookie opens nothing', async () => {
    const first = sessionCookie(await signInForm(svc, agent.email))!;
    expect(await statusOf(svc, first)).toBe(200);
    const again = await signInForm(svc, agent.email, first);
    expect(again.status).toBe(303);
    const second = sessionCookie(again)!;
    expect(second).not.toBe(first);
    expect(await statusOf(svc, second)).toBe(200);
    expect(await statusOf(svc, first)).toBe(303);
  });

  it('refuses a form post whose Origin has the right host but the other scheme (a page injected over plain HTTP)', async () => {
    const host = new URL(svc.url).host;
    // The client came over TLS (the trusted proxy says so): a page from http://host is another origin.
    const overTls = { 'x-forwarded-proto': 'https' };
    const fromHttp = await signInForm(svc, agent.email, '', { ...overTls, origin: `http://${host}`, 'sec-fetch-site': 'cross-site' });
    expect(fromHttp.status).toBe(403);
    expect(await fromHttp.text()).toContain('came from another site');
    expect((await signInForm(svc, agent.email, '', { ...overTls, origin: `https://${host}` })).status).toBe(303);
    // And the other way round on a plain request.
    expect((await signInForm(svc, agent.email, '', { origin: `https://${host}` })).status).toBe(403);
    expect((await signInForm(svc, agent.email, '', { origin: `http://${host}` })).status).toBe(303);
  });

  it('tells htmx to keep no copy of pages in the browser’s storage, where they would outlive sign-out', async () => {
    const cookie = sessionCookie(await signInForm(svc, agent.email))!;
    const page = await (await fetch(`${svc.url}/console`, { headers: { cookie } })).text();
    const config = /<meta name="htmx-config" content="([^"]+)"/.exec(page)![1]!.replace(/&quot;/g, '"');
    expect(JSON.parse(config)).toMatchObject({ historyCacheSize: 0, allowEval: false, allowScriptTags: false, selfRequestsOnly: true });
  });
});

describe('console: what a signed-in user can type into a URL', () => {
  it('answers a chart range that is a name every object has (constructor, __proto__) with the default range, not an error', async () => {
    const svc = await startService();
    const supervisor = await consoleUser(svc, 'admin');
    const cookie = sessionCookie(await signInForm(svc, supervisor.email))!;
    for (const range of ['constructor', '__proto__', 'toString']) {
      const res = await fetch(`${svc.url}/console/interactions/charts?range=${range}`, { headers: { cookie } });
      expect(res.status, range).toBe(200);
      expect(await res.text(), range).toContain('Last 24 hours, by hour.');
    }
  });
});
