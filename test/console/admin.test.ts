import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { ADMIN_PAGES } from '../../src/console/admin/pages.js';
import type { Agent } from '../helpers/acd.js';
import { browserForFile, type ConsolePage, consoleUser, expectAccessible, openPage, postWithCookie, screenshot, signIn } from '../helpers/console.js';
import { publishListed } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';
import { startReceiver, verify } from '../helpers/webhook-receiver.js';

// An administrator's console (#18 item 4) in a real headless Chromium: what they click, what the
// service did (read back through the API), what a receiver and the DNS saw.

const CUSTOMER_SERVER = '127.0.0.2';
const ATTACKER_SERVER = '127.0.0.3';
/** The time now, for verify(), which replaces Date.now with the clock it is given while it runs. */
const rightNow = () => manualClock(Date.now());

describe('console: administration', () => {
  let svc: TestService;
  let browser: Browser;
  let admin: Agent;
  let agent: Agent;
  beforeAll(async () => {
    svc = await startService({ THREADLINE_INBOUND_AUTH: 'require', THREADLINE_WEBHOOK_ALLOW_PRIVATE: 'true' });
    // customer.test sends only from CUSTOMER_SERVER and asks for rejection otherwise.
    svc.dns.zone['customer.test'] = [{ type: 'TXT', data: `v=spf1 ip4:${CUSTOMER_SERVER} -all` }];
    svc.dns.zone['_dmarc.customer.test'] = [{ type: 'TXT', data: 'v=DMARC1; p=reject' }];
    browser = await browserForFile();
    admin = await consoleUser(svc, 'admin');
    agent = await consoleUser(svc, 'agent');
  });

  /** A signed-in administrator's page; the checks every page gets are made by `done`. */
  async function adminPage(): Promise<ConsolePage & { done(): Promise<void> }> {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    return Object.assign(p, {
      async done() {
        p.expectOnlyOwnHost();
        expect(p.cspViolations).toEqual([]);
        await p.close();
      },
    });
  }
  const flash = (p: ConsolePage) => p.page.locator('#flash').textContent();

  it('adds a sender domain, shows its records with copy buttons, and verifies it once they are published', async () => {
    const p = await adminPage();
    await p.page.getByRole('link', { name: 'Administration' }).click();
    await p.page.waitForURL(`${svc.url}/console/admin`);
    await screenshot(p.page, 'admin');
    await p.page.getByRole('link', { name: 'Sender domains' }).click();
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-domains');

    // A registered domain is refused with the API's message, naming what to use instead.
    await p.page.getByLabel('Domain', { exact: true }).fill('example.org');
    await p.page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(p.page.getByRole('alert').textContent()).resolves.toContain('use one such as notify.example.org');

    await p.page.goto(`${svc.url}/console/admin/domains`);
    await p.page.getByLabel('Domain', { exact: true }).fill('notify.example.org');
    await p.page.getByRole('button', { name: 'Add', exact: true }).click();
    await p.page.waitForURL(`${svc.url}/console/admin/domains/notify.example.org`);
    await expect(flash(p)).resolves.toContain('notify.example.org was added');
    await expect(p.page.locator('[data-domain-status]').textContent()).resolves.toBe('PENDING');

    // The page lists exactly the records the API gives, in the order it gives them.
    const api = await svc.api('GET', '/api/v2/routing/email/outbound/domains/notify.example.org');
    const listed = api.body.dnsRecords as Array<{ purpose: string; host: string; type: string; value: string }>;
    const rows = p.page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(listed.length);
    expect(listed.map((r) => r.purpose)).toEqual(expect.arrayContaining(['spf', 'dkim', 'dmarc', 'return-path']));
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-domain-records');

    // Copy each record from the page, as an administrator would, into the DNS.
    await p.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: svc.url });
    for (const [i, r] of listed.entries()) {
      const row = rows.nth(i);
      await row.getByRole('button', { name: `Copy the ${r.purpose} record's name` }).click();
      const host = await p.page.evaluate(() => navigator.clipboard.readText());
      await row.getByRole('button', { name: `Copy the ${r.purpose} record's value` }).click();
      const value = await p.page.evaluate(() => navigator.clipboard.readText());
      expect({ host, value }).toEqual({ host: r.host, value: r.value });
      publishListed(svc.dns.zone, { host, type: r.type, value });
    }
    await p.page.getByRole('button', { name: 'Check the records now' }).click();
    await p.page.waitForLoadState('load');
    await expect(flash(p)).resolves.toContain('notify.example.org is VERIFIED');
    await expect(p.page.locator('[data-domain-status]').textContent()).resolves.toBe('VERIFIED');
    expect((await svc.api('GET', '/api/v2/routing/email/outbound/domains/notify.example.org')).body.status).toBe('VERIFIED');
    await p.done();
  });

  it('releases a quarantined reply into its conversation, and drops another', async () => {
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: 'pat@customer.test' }] }) });
    expect(sent.status).toBe(202);
    const conversationId = sent.body.conversationId as string;
    // Pat's From, from a server customer.test's SPF does not allow: DMARC p=reject fails, the reply is held.
    const forged = async (subject: string) => {
      const raw = withHeaders(fs.readFileSync('fixtures/replies/talon__gmail.eml'), {
        From: 'Pat <pat@customer.test>',
        To: sent.body.replyToAddress.email,
        Subject: subject,
        'Message-ID': `<${subject.replaceAll(' ', '-')}@mail.example.net>`,
        'DKIM-Signature': null,
        'X-Google-DKIM-Signature': null,
      });
      const reply = await deliver(svc.running.smtpPort, {
        from: 'pat@customer.test',
        to: [sent.body.replyToAddress.email],
        raw: raw.replace(/\r?\n/g, '\r\n'),
        localAddress: ATTACKER_SERVER,
        helo: 'mail.example.net',
      });
      expect(reply).toMatch(/^250/);
    };
    await forged('Held reply one');
    await forged('Held reply two');
    const inbound = async () =>
      ((await svc.api('GET', `/api/v2/conversations/emails/${conversationId}/messages`)).body.entities as Array<{ direction: string }>).filter((m) => m.direction === 'inbound');
    expect(await inbound()).toHaveLength(0);

    const p = await adminPage();
    await p.page.goto(`${svc.url}/console/admin/quarantine`);
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-quarantine');
    await p.page.getByRole('link', { name: 'Held reply one' }).click();
    await expect(p.page.locator('dl.facts').textContent()).resolves.toContain('DMARC fail');
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-quarantine-entry');
    await p.page.getByLabel('its conversation').check();
    await p.page.getByRole('button', { name: 'Release' }).click();
    await p.page.waitForLoadState('load');
    await expect(flash(p)).resolves.toContain('Released into its conversation.');
    await expect(p.page.locator('[data-quarantine-state]').textContent()).resolves.toBe('released');
    expect(await inbound()).toHaveLength(1);

    await p.page.goto(`${svc.url}/console/admin/quarantine`);
    await p.page.getByRole('link', { name: 'Held reply two' }).click();
    await p.page.getByRole('button', { name: 'Drop' }).click();
    await p.page.waitForLoadState('load');
    await expect(p.page.locator('[data-quarantine-state]').textContent()).resolves.toBe('dropped');
    expect(await inbound()).toHaveLength(1);
    await expect(p.page.getByRole('button', { name: 'Release' }).count()).resolves.toBe(0);
    await p.done();
  });

  it('creates a webhook (its secret shown once), suppresses an address, and sends that event again with the same webhook-id', async () => {
    const receiver = await startReceiver();
    const p = await adminPage();
    await p.page.goto(`${svc.url}/console/admin/webhooks`);
    await p.page.getByLabel('URL').fill(receiver.url);
    await p.page.getByLabel('Description').fill('Console test');
    await p.page.getByLabel('suppression.added').check();
    await p.page.getByRole('button', { name: 'Add the webhook' }).click();
    await expect(p.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Webhook added');
    const secret = (await p.page.locator('#webhook-secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await expectAccessible(p.page);
    await p.page.getByRole('link', { name: 'Go to the webhook' }).click();
    expect(await p.page.content()).not.toContain(secret);

    await p.page.goto(`${svc.url}/console/admin/suppressions`);
    await p.page.getByLabel('Address', { exact: true }).fill('gone@example.com');
    await p.page.getByLabel('Why').fill('asked by phone');
    await p.page.getByRole('button', { name: 'Suppress' }).click();
    await p.page.waitForLoadState('load');
    await expect(flash(p)).resolves.toContain('gone@example.com is suppressed.');
    await expect(p.page.getByRole('table').textContent()).resolves.toContain('asked by phone');
    expect((await svc.api('GET', '/api/v2/suppressions/gone@example.com')).body).toMatchObject({ reason: 'manual', detail: 'asked by phone' });
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-suppressions');

    const first = await waitFor(() => receiver.requests.find((r) => r.status === 204), 10_000, 'the suppression.added event');
    expect(verify(secret, first, rightNow())).toMatchObject({ type: 'suppression.added', data: { email: 'gone@example.com' } });

    await p.page.goto(`${svc.url}/console/admin/webhooks`);
    await p.page.getByRole('link', { name: receiver.url }).click();
    const row = p.page.locator(`tr[data-event="${first.headers['webhook-id']}"]`).first();
    // The attempt is logged once the receiver has answered: the page is loaded again until it shows.
    await waitFor(
      async () => {
        if ((await row.count()) > 0) return true;
        await p.page.reload();
        return undefined;
      },
      10_000,
      'the attempt in the log',
    );
    await expect(row.textContent()).resolves.toContain('delivered');
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-webhook');
    await row.getByRole('button', { name: /^Send again: suppression\.added / }).click();
    await p.page.waitForLoadState('load');
    await expect(flash(p)).resolves.toContain('1 event will be sent again.');
    const again = await waitFor(() => (receiver.requests.length > 1 ? receiver.requests[1] : undefined), 10_000, 'the event sent again');
    expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(verify(secret, again, rightNow())).toMatchObject({ type: 'suppression.added' });

    const webhookId = decodeURIComponent(new URL(p.page.url()).pathname.split('/').at(-1)!);
    await p.page.getByRole('button', { name: 'Disable the webhook' }).click();
    await p.page.waitForLoadState('load');
    expect((await svc.api('GET', `/api/v2/webhooks/${webhookId}`)).body.enabled).toBe(false);
    await p.page.getByRole('button', { name: 'Remove the webhook' }).click();
    await p.page.waitForLoadState('load');
    expect((await svc.api('GET', `/api/v2/webhooks/${webhookId}`)).status).toBe(404);

    // Removing the entry from the page mails the address again.
    await p.page.goto(`${svc.url}/console/admin/suppressions`);
    await p.page.getByRole('button', { name: 'Remove gone@example.com' }).click();
    await p.page.waitForLoadState('load');
    expect((await svc.api('GET', '/api/v2/suppressions/gone@example.com')).status).toBe(404);
    await p.done();
  });

  it('refuses every administration section to an agent (403), and a change without the form token', async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, agent.email);
    for (const path of [...ADMIN_PAGES.map((s) => s.href), '/console/admin/domains/notify.example.org']) {
      const res = await p.page.goto(`${svc.url}${path}`);
      expect(res?.status(), path).toBe(403);
      await expect(p.page.getByRole('alert').textContent()).resolves.toContain('does not have the permission');
    }
    await expectAccessible(p.page);
    const cookie = (await p.page.context().cookies()).filter((c) => c.name === 'threadline_session').map((c) => `${c.name}=${c.value}`)[0]!;
    expect((await postWithCookie(svc, '/console/admin/suppressions', cookie, { email: 'agent@example.com' })).status).toBe(403);
    await p.close();

    const a = await adminPage();
    const adminCookie = (await a.page.context().cookies()).filter((c) => c.name === 'threadline_session').map((c) => `${c.name}=${c.value}`)[0]!;
    const forged = await postWithCookie(svc, '/console/admin/suppressions', adminCookie, { email: 'victim@example.com' });
    expect(forged.status).toBe(403);
    expect((await svc.api('GET', '/api/v2/suppressions/victim@example.com')).status).toBe(404);
    await a.done();
  });
});
