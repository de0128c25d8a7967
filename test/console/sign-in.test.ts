import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../src/auth/login-throttle.js';
import { BODY_LIMITS } from '../../src/http/body-limit.js';
import { type Agent, PASSWORD } from '../helpers/acd.js';
import { browserForFile, consoleUser, expectAccessible, openPage, postWithCookie, screenshot, signIn } from '../helpers/console.js';
import { startService, type TestService } from '../helpers/service.js';

const signInForm = (svc: TestService, email: string, password: string, headers: Record<string, string> = {}) => postWithCookie(svc, '/console/sign-in', '', { email, password }, headers);
const cookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('threadline_session='));

describe('console: sign-in, session cookie, CSRF, permissions', () => {
  let svc: TestService;
  let browser: Browser;
  let agent: Agent;
  let admin: Agent;
  beforeAll(async () => {
    svc = await startService();
    browser = await browserForFile();
    agent = await consoleUser(svc, 'agent');
    admin = await consoleUser(svc, 'admin');
  });

  it('sends a signed-out visitor to the sign-in page and refuses a wrong password with a clear message', async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, agent.email, 'not the password');
    expect(new URL(p.page.url()).pathname).toBe('/console/sign-in');
    await expect(p.page.getByRole('alert').textContent()).resolves.toContain('The email or password is wrong.');
    await expectAccessible(p.page);
    await screenshot(p.page, 'sign-in');
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });

  it('signs an agent in with a HttpOnly, SameSite=Lax cookie on /console; the agent gets no administration', async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, agent.email);
    expect(new URL(p.page.url()).pathname).toBe('/console');
    await expect(p.page.locator('header .who').textContent()).resolves.toContain(`Signed in as Agent ${agent.email}`);
    const [cookie] = (await p.page.context().cookies()).filter((c) => c.name === 'threadline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console', secure: false });
    expect(await p.page.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await expectAccessible(p.page);
    const denied = await p.page.goto(`${svc.url}/console/admin`);
    expect(denied?.status()).toBe(403);
    await expect(p.page.getByRole('alert').textContent()).resolves.toContain('does not have the permission');
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });

  it('is usable by keyboard alone: the skip link first, then the form, sign-in with Enter', async () => {
    const p = await openPage(browser, svc);
    const { page } = p;
    await page.goto(`${svc.url}/console/sign-in`);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('email');
    await page.keyboard.type(agent.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${svc.url}/console`);
    // The focused control is drawn with a visible outline.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).resolves.not.toBe('none');
    await p.close();
  });

  it('shows an administrator the Administration area', async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    await p.page.getByRole('link', { name: 'Administration' }).click();
    await p.page.waitForURL(`${svc.url}/console/admin`);
    await expect(p.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Administration');
    await expectAccessible(p.page);
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });

  it('refuses a POST without the CSRF token (403), and sign-out with it ends the session', async () => {
    const res = await signInForm(svc, agent.email, PASSWORD);
    expect(res.status).toBe(303);
    const cookie = cookieOf(res)!.split(';')[0]!;
    const inbox = await fetch(`${svc.url}/console`, { headers: { cookie } });
    expect(inbox.status).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(await inbox.text())![1]!;

    const forged = await postWithCookie(svc, '/console/sign-out', cookie);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('did not carry this session’s form token');
    const wrong = await postWithCookie(svc, '/console/sign-out', cookie, { _csrf: `${token.slice(1)}x` });
    expect(wrong.status).toBe(403);
    // The right token from another site is refused by the Origin check.
    const crossSite = await postWithCookie(svc, '/console/sign-out', cookie, { _csrf: token }, { origin: 'https://attacker.example' });
    expect(crossSite.status).toBe(403);
    expect((await fetch(`${svc.url}/console`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);

    const out = await postWithCookie(svc, '/console/sign-out', cookie, { _csrf: token });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/sign-in');
    const after = await fetch(`${svc.url}/console`, { headers: { cookie }, redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/console/sign-in');
  });

  it('signs out from the page: the browser is back at sign-in and the console is closed to it', async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, agent.email);
    await p.page.getByRole('button', { name: 'Sign out' }).click();
    await p.page.waitForURL(`${svc.url}/console/sign-in`);
    await expect(p.page.getByRole('status').textContent()).resolves.toContain('You are signed out.');
    await p.page.goto(`${svc.url}/console`);
    expect(new URL(p.page.url()).pathname).toBe('/console/sign-in');
    await p.close();
  });

  it('refuses a sign-in form larger than the token endpoint takes, before reading it all', async () => {
    const res = await signInForm(svc, agent.email, 'x'.repeat(BODY_LIMITS.form));
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('larger than');
  });

  it('limits failed sign-ins for a user from one address with the login throttle, saying so', async () => {
    const victim = await consoleUser(svc, 'agent');
    for (let i = 0; i < LOGIN_LIMITS.perUserAndAddress; i++) expect((await signInForm(svc, victim.email, `guess ${i}`)).status).toBe(400);
    const limited = await signInForm(svc, victim.email, PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many failed logins for this user from this address');
  });
});

describe('console: the Secure flag', () => {
  it('is set when a trusted proxy says the client came over TLS, and not on a plain request or an untrusted header', async () => {
    const svc = await startService({ THREADLINE_TRUSTED_PROXIES: '127.0.0.1' });
    const user = await consoleUser(svc, 'agent');
    // The browser behind the proxy is on https://: its Origin says so.
    const viaTls = await signInForm(svc, user.email, PASSWORD, { 'x-forwarded-proto': 'https', origin: `https://${new URL(svc.url).host}` });
    expect(cookieOf(viaTls)).toMatch(/; Secure/i);
    expect(cookieOf(viaTls)).toMatch(/; HttpOnly/i);
    expect(cookieOf(viaTls)).toMatch(/; SameSite=Lax/i);
    expect(cookieOf(viaTls)).toMatch(/; Path=\/console/i);
    expect(cookieOf(await signInForm(svc, user.email, PASSWORD))).not.toMatch(/; Secure/i);
    const untrusted = await startService();
    const other = await consoleUser(untrusted, 'agent');
    expect(cookieOf(await signInForm(untrusted, other.email, PASSWORD, { 'x-forwarded-proto': 'https' }))).not.toMatch(/; Secure/i);
  });
});
