import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, stats } from '../helpers/acd.js';
import { browserForFile, type ConsolePage, consoleUser, expectAccessible, openPage, screenshot, signIn } from '../helpers/console.js';
import { publishListed } from '../helpers/dns-server.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';

// The set-up half of the console's administration (#18 item 4): inbound domains and routes,
// queues and members, users, OAuth clients; each checked through what it changed for real.

describe('console: setting up domains, queues, users and clients', () => {
  let svc: TestService;
  let browser: Browser;
  let admin: Agent;
  let p: ConsolePage;
  beforeAll(async () => {
    svc = await startService();
    browser = await browserForFile();
    admin = await consoleUser(svc, 'admin');
    p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    return async () => {
      p.expectOnlyOwnHost();
      expect(p.cspViolations).toEqual([]);
      await p.close();
    };
  });
  const flash = () => p.page.locator('#flash').textContent();
  /** The client-credentials grant, asked afresh (svc.token keeps the tokens it got). */
  const clientToken = (id: string, secret: string) =>
    fetch(`${svc.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
  const submit = async (name: string) => {
    await p.page.getByRole('button', { name, exact: true }).click();
    await p.page.waitForLoadState('load');
  };

  it('adds a queue with a member and a wrap-up code, and an inbound domain whose route sends new mail to that queue', async () => {
    await p.page.goto(`${svc.url}/console/admin/queues`);
    await p.page.getByLabel('Queue name').fill('Billing');
    await submit('Add the queue');
    await expect(flash()).resolves.toContain('The queue Billing was added.');
    const queueId = decodeURIComponent(new URL(p.page.url()).pathname.split('/').at(-1)!);
    await p.page.getByLabel('Add a member').selectOption({ label: `Agent ${admin.email} (${admin.email})` });
    await submit('Add to the queue');
    await expect(p.page.getByRole('table', { name: 'Members' }).textContent()).resolves.toContain(admin.email);
    const members = await svc.api('GET', `/api/v2/routing/queues/${queueId}/members`);
    expect(members.body.entities.map((m: { id: string }) => m.id)).toEqual([admin.id]);

    // A wrap-up code of the organization, then offered by the queue.
    const queuePage = p.page.url();
    await p.page.goto(`${svc.url}/console/admin/wrapupcodes`);
    await p.page.getByLabel('Code name').fill('Resolved');
    await submit('Add the code');
    await expect(flash()).resolves.toContain('The wrap-up code Resolved was added.');
    await expectAccessible(p.page);
    await p.page.goto(queuePage);
    await p.page.getByLabel('Offer a wrap-up code').selectOption({ label: 'Resolved' });
    await submit('Offer it');
    await expect(flash()).resolves.toContain('The queue now offers Resolved.');
    const offered = await svc.api('GET', `/api/v2/routing/queues/${queueId}/wrapupcodes`);
    expect(offered.body.entities.map((w: { name: string }) => w.name)).toEqual(['Resolved']);
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-queue');

    await p.page.goto(`${svc.url}/console/admin/inbound`);
    await p.page.getByLabel('Inbound domain', { exact: true }).fill('help.example.org');
    await submit('Add the inbound domain');
    await expect(p.page.locator('[data-inbound-status]').textContent()).resolves.toBe('PENDING');
    // Published as the page shows it, then checked from the page.
    publishListed(svc.dns.zone, { host: (await p.page.locator('#verify-name').textContent())!, type: 'TXT', value: (await p.page.locator('#verify-value').textContent())! });
    await submit('Check the record now');
    await expect(flash()).resolves.toContain('help.example.org is VERIFIED');

    await p.page.getByLabel('Recipient').fill('billing');
    await p.page.getByLabel('Queue').selectOption({ label: 'Billing' });
    await submit('Add the route');
    await expect(flash()).resolves.toContain('Mail to billing@help.example.org now goes to its queue.');
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-inbound-domain');

    const raw = withHeaders(fs.readFileSync('fixtures/replies/talon__gmail.eml'), {
      To: 'billing@help.example.org',
      'Message-ID': '<new-billing-question@mail.example.net>',
      'In-Reply-To': null,
      References: null,
    });
    expect(await deliver(svc.running.smtpPort, { from: 'pat@example.net', to: ['billing@help.example.org'], raw: raw.replace(/\r?\n/g, '\r\n') })).toMatch(/^250/);
    await waitFor(async () => ((await stats(svc, queueId)).waiting === 1 ? true : undefined), 10_000, 'the new mail waiting in Billing');
  });

  it('adds an agent who can then sign in (until removed), and says which field is wrong', async () => {
    await p.page.goto(`${svc.url}/console/admin/users`);
    await p.page.getByLabel('Name', { exact: true }).fill('Robin Agent');
    await p.page.getByLabel('Email', { exact: true }).fill('robin@example.com');
    await p.page.getByLabel('Password (at least 8 characters)', { exact: true }).fill('short');
    // The browser's own check would stop a too short password; the server's is what is tested.
    await p.page.locator('#user-password').evaluate((el) => el.removeAttribute('minlength'));
    await submit('Add the user');
    await expect(p.page.getByRole('alert').textContent()).resolves.toMatch(/^password: /);

    await p.page.goto(`${svc.url}/console/admin/users`);
    await p.page.getByLabel('Name', { exact: true }).fill('Robin Agent');
    await p.page.getByLabel('Email', { exact: true }).fill('robin@example.com');
    await p.page.getByLabel('Password (at least 8 characters)', { exact: true }).fill('a long enough password');
    await p.page.getByLabel('Role', { exact: true }).selectOption('agent');
    await submit('Add the user');
    await expect(flash()).resolves.toContain('robin@example.com was added');
    await expect(p.page.getByRole('table').textContent()).resolves.toContain('robin@example.com');
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-users');

    const robin = await openPage(browser, svc);
    await signIn(robin.page, svc, 'robin@example.com', 'a long enough password');
    await expect(robin.page.locator('header .who').textContent()).resolves.toContain('Robin Agent');
    expect(await robin.page.getByRole('link', { name: 'Administration' }).count()).toBe(0);

    // Made an administrator: Robin's next page has Administration.
    const robinOption = { label: `Robin Agent <robin@example.com>` };
    await p.page.locator('#role-user').selectOption(robinOption);
    await p.page.getByLabel('New role').selectOption('administrator');
    await submit('Change the role');
    await expect(flash()).resolves.toContain('robin@example.com is now an administrator');
    await robin.page.reload();
    expect(await robin.page.getByRole('link', { name: 'Administration' }).count()).toBe(1);

    // A password set by an administrator ends Robin's session; the new one signs in.
    await p.page.locator('#reset-user').selectOption(robinOption);
    await p.page.getByLabel('New password (at least 8 characters)').fill('a brand new password');
    await submit('Set the password');
    await expect(flash()).resolves.toContain('The password was set');
    await robin.page.reload();
    expect(new URL(robin.page.url()).pathname).toBe('/console/sign-in');
    await signIn(robin.page, svc, 'robin@example.com', 'a long enough password');
    expect(new URL(robin.page.url()).pathname).toBe('/console/sign-in');
    await signIn(robin.page, svc, 'robin@example.com', 'a brand new password');
    await expect(robin.page.locator('header .who').textContent()).resolves.toContain('Robin Agent');
    await robin.close();

    await p.page.getByRole('button', { name: 'Remove robin@example.com' }).click();
    await p.page.waitForLoadState('load');
    await expect(flash()).resolves.toContain('The user was removed');
    const again = await openPage(browser, svc);
    await signIn(again.page, svc, 'robin@example.com', 'a brand new password');
    expect(new URL(again.page.url()).pathname).toBe('/console/sign-in');
    await again.close();
  });

  it('adds an OAuth client whose secret, shown once, gets a token until the client is disabled', async () => {
    await p.page.goto(`${svc.url}/console/admin/clients`);
    await p.page.getByLabel('Client name').fill('Billing system');
    await p.page.getByLabel(/^Permissions/).fill('conversation:agentlessEmail:send\nnot a permission');
    await submit('Add the client');
    await expect(p.page.getByRole('alert').textContent()).resolves.toContain('"not a permission" is not a permission string');

    await p.page.goto(`${svc.url}/console/admin/clients`);
    await p.page.getByLabel('Client name').fill('Billing system');
    await p.page.getByLabel(/^Permissions/).fill('conversation:agentlessEmail:send');
    await submit('Add the client');
    const id = (await p.page.locator('#client-id').textContent())!;
    const secret = (await p.page.locator('#client-secret').textContent())!;
    await expectAccessible(p.page);
    expect((await clientToken(id, secret)).status).toBe(200);

    await p.page.getByRole('link', { name: 'Back to the clients' }).click();
    await expect(p.page.getByRole('table').textContent()).resolves.toContain('Billing system');
    expect(await p.page.content()).not.toContain(secret);
    await screenshot(p.page, 'admin-clients');

    await p.page.getByRole('button', { name: `Disable Billing system (${id})` }).click();
    await p.page.waitForLoadState('load');
    await expect(flash()).resolves.toContain('The client was disabled');
    expect((await clientToken(id, secret)).status).toBe(401);
  });

  it('previews a template per language, adds a configuration, sends it to a contact list by hand, and schedules and cancels a send', async () => {
    const created = await svc.api('POST', '/api/v2/outbound/templates', {
      body: {
        name: 'Case notice',
        channel: 'email',
        defaultLocale: 'en',
        localizations: [
          { locale: 'en', subject: 'Your case {CaseName}', textBody: 'Hello {CustomerName}' },
          { locale: 'fi', subject: 'Tapauksesi {CaseName}', textBody: 'Hei {CustomerName}' },
        ],
      },
    });
    expect(created.status).toBe(200);
    await p.page.goto(`${svc.url}/console/admin/templates`);
    await p.page.getByRole('link', { name: 'Case notice' }).click();
    await p.page.getByLabel('Sample values for fi').fill('CustomerName: Pat\nCaseName: CAS-1');
    await p.page.getByRole('button', { name: 'Preview fi' }).click();
    await p.page.waitForLoadState('load');
    await expect(p.page.locator('[data-preview="fi"]').textContent()).resolves.toMatch(/Tapauksesi CAS-1.*Hei Pat/s);
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-template-preview');
    await p.page.getByRole('button', { name: 'Preview en' }).click();
    await p.page.waitForLoadState('load');
    await expect(p.page.getByRole('alert').textContent()).resolves.toMatch(/CaseName.*CustomerName|CustomerName.*CaseName/);

    await p.page.goto(`${svc.url}/console/admin/outbound`);
    await p.page.getByLabel('Configuration name').fill('Case notices');
    await p.page.getByLabel('Template').selectOption({ label: 'Case notice' });
    await p.page.getByLabel('From address (on a sender domain)').fill(`cases@${svc.init.senderDomain}`);
    await submit('Add the configuration');
    await expect(flash()).resolves.toContain('The configuration Case notices was added.');
    const configurationId = decodeURIComponent(new URL(p.page.url()).pathname.split('/').at(-1)!);

    const contacts = 'tocontactid,optin,locale,CustomerName,CaseName\npat@example.net,true,fi,Pat,CAS-1\nlee@example.net,false,en,Lee,CAS-2';
    await p.page.getByLabel('Contacts', { exact: true }).fill(contacts);
    const sendForm = p.page.locator('form[action$="/invoke"]');
    const resubmit = { _csrf: await sendForm.locator('input[name="_csrf"]').inputValue(), idempotencyKey: await sendForm.locator('input[name="idempotencyKey"]').inputValue(), contacts };
    await submit('Send now');
    const patRow = p.page.locator('tr[data-contact="pat@example.net"]');
    await expect(patRow.textContent()).resolves.toContain('queued');
    // The same form sent twice (a double click, a reload) sends once: the second answer is the first's.
    const messageId = (await patRow.locator('td').nth(2).textContent())!;
    const twice = await p.page.request.post(`${svc.url}/console/admin/outbound/${configurationId}/invoke`, { form: resubmit, headers: { origin: svc.url } });
    expect(twice.status()).toBe(200);
    expect(await twice.text()).toContain(messageId);
    await expect(p.page.locator('tr[data-contact="lee@example.net"]').textContent()).resolves.toContain('skipped');
    await expectAccessible(p.page);
    await screenshot(p.page, 'admin-outbound-invoked');

    await p.page.getByLabel(/^Send once at/).fill('2030-01-01T09:00:00+00:00');
    await p.page.getByLabel('Contacts to schedule').fill(contacts);
    await submit('Schedule');
    await expect(flash()).resolves.toContain('Scheduled: first run 2030-01-01 09:00 UTC.');
    const listed = await svc.api('GET', '/api/v2/outbound/schedules');
    const schedule = listed.body.entities.find((x: { configurationId: string }) => x.configurationId === configurationId);
    expect(schedule).toMatchObject({ state: 'active', contactCount: 2 });
    await p.page
      .locator(`tr[data-schedule="${schedule.id}"]`)
      .getByRole('button', { name: /^Cancel/ })
      .click();
    await p.page.waitForLoadState('load');
    await expect(p.page.locator(`tr[data-schedule="${schedule.id}"]`).textContent()).resolves.toContain('cancelled');
    expect((await svc.api('GET', `/api/v2/outbound/schedules/${schedule.id}`)).body.state).toBe('cancelled');
  });
});
