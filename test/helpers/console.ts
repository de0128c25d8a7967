import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { type Agent, createAgent, PASSWORD } from './acd.js';
import { launchBrowser } from './browser.js';
import { atEnd } from './cleanup.js';
import type { TestService } from './service.js';

export const SCREENSHOTS = path.resolve('test-results', 'console-screenshots');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One headless Chromium for a test file, closed at its end. */
export async function browserForFile(): Promise<Browser> {
  const browser = await launchBrowser();
  atEnd(() => browser.close());
  return browser;
}

/** A user who may do everything (the console's administrator) or an agent (the API's default permissions). */
export const consoleUser = (svc: TestService, role: 'admin' | 'agent'): Promise<Agent> => createAgent(svc, role === 'admin' ? { permissions: ['*:*:*'] } : {});

export interface ConsolePage {
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** Console messages about the Content-Security-Policy (a blocked script or style). */
  cspViolations: string[];
  /** Bytes of script the pages loaded so far (each file once). */
  scriptBytes(): number;
  /** Fails if the page asked any other host than the service for anything. */
  expectOnlyOwnHost(): void;
  close(): Promise<void>;
}

/** A fresh browser context (its own cookies) and page that records its requests. */
export async function openPage(browser: Browser, svc: TestService): Promise<ConsolePage> {
  // A person's browser has a language; without one Chromium reports this machine's C locale as
  // en-US@posix, which Intl refuses (uPlot formats its numbers with navigator.language).
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const requests: string[] = [];
  const cspViolations: string[] = [];
  page.on('request', (r) => void requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  const scripts = new Map<string, number>();
  page.on('response', (r) => {
    // A page left before its script's body was read has no body to give: that page is not the one measured.
    if (r.request().resourceType() === 'script')
      r.body().then(
        (b) => scripts.set(r.url(), b.length),
        () => {},
      );
  });
  const own = new URL(svc.url).host;
  return {
    page,
    requests,
    cspViolations,
    scriptBytes: () => [...scripts.values()].reduce((a, b) => a + b, 0),
    expectOnlyOwnHost() {
      const foreign = requests.filter((u) => !u.startsWith('data:') && new URL(u).host !== own);
      expect(foreign).toEqual([]);
      expect(requests.length).toBeGreaterThan(0);
    },
    close: () => context.close(),
  };
}

/** Signs in through the sign-in form, as a person would (by the fields' labels). */
export async function signIn(page: Page, svc: TestService, email: string, password = PASSWORD) {
  await page.goto(`${svc.url}/console`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

/**
 * axe-core's serious and critical violations of the page, which must be none. Evaluated over the
 * DevTools protocol: an inline script tag would be refused by the console's own CSP.
 */
export async function expectAccessible(page: Page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  });
  expect(violations).toEqual([]);
}

/** Writes a full-page screenshot for the README (test-results/console-screenshots/NAME.png). */
export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A form POST as another site, or a script without the page's token, would send it: the session cookie and nothing else. */
export async function postWithCookie(svc: TestService, p: string, cookie: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return fetch(`${svc.url}${p}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: svc.url, cookie, ...headers },
    body: new URLSearchParams(form).toString(),
  });
}
