import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent, createQueue, enqueue, pull } from '../helpers/acd.js';
import { dsn } from '../helpers/bounce-report.js';
import { browserForFile, consoleUser, expectAccessible, openPage, screenshot, signIn } from '../helpers/console.js';
import { eventsOf, sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// Interactions in the console (issue 18, item 3): the message search, a message's page and the
// charts, as an administrator uses them in a real browser.

let browser: Browser;
beforeAll(async () => {
  browser = await browserForFile();
});

type Sent = { id: string; conversationId: string };
const send = async (svc: TestService, to: string, overrides: Record<string, unknown> = {}): Promise<Sent> => {
  const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { toAddresses: [{ email: to }], ...overrides }) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
};
const statusIs = (svc: TestService, m: Sent, status: string) =>
  waitFor(
    async () => ((await svc.api('GET', `/api/v2/conversations/emails/${m.conversationId}/messages/${m.id}`)).body.deliveryStatus.status === status ? true : undefined),
    10_000,
    `message ${m.id} ${status}`,
  );
const resultIds = (page: Page) => page.locator('table[data-results] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message-id')));

describe('console: searching messages and reading one', () => {
  let svc: TestService;
  let admin: Agent;
  let pat: Sent;
  let sam: Sent;
  beforeAll(async () => {
    svc = await startService();
    admin = await consoleUser(svc, 'admin');
    pat = await send(svc, 'pat@example.com', { subject: 'Order <b>1001</b> & more' });
    sam = await send(svc, 'sam@example.com', { subject: 'Order 1002' });
    await statusIs(svc, pat, 'sent');
    await statusIs(svc, sam, 'sent');
  });

  it('finds a sent message by address and by conversation id', async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    await p.page.getByRole('link', { name: 'Interactions' }).click();
    await p.page.waitForURL(`${svc.url}/console/interactions`);
    expect(await resultIds(p.page)).toEqual(expect.arrayContaining([pat.id, sam.id]));

    await p.page.getByLabel('Address (sender or recipient)').fill('PAT@example.com');
    await p.page.getByRole('button', { name: 'Search' }).click();
    await p.page.waitForURL(/address=/);
    expect(await resultIds(p.page)).toEqual([pat.id]);
    await expect(p.page.locator('table[data-results] tbody tr').first().textContent()).resolves.toContain('Order <b>1001</b> & more');

    await p.page.getByLabel('Address (sender or recipient)').fill('');
    await p.page.getByLabel('Conversation id').fill(sam.conversationId);
    await p.page.getByRole('button', { name: 'Search' }).click();
    await p.page.waitForURL(/conversationId=/);
    expect(await resultIds(p.page)).toEqual([sam.id]);
    await expectAccessible(p.page);
    await screenshot(p.page, 'interactions-search');

    await p.page.goto(`${svc.url}/console/interactions?status=nonsense`);
    await expect(p.page.getByRole('alert').textContent()).resolves.toContain('Status must be one of');
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });

  it('pages through many messages by key: every message once, newest first', async () => {
    const more: Sent[] = [];
    for (let i = 0; i < 26; i++) more.push(await send(svc, 'many@example.com', { subject: `Bulk ${i}` }));
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    await p.page.goto(`${svc.url}/console/interactions?address=many%40example.com`);
    const first = await resultIds(p.page);
    expect(first).toHaveLength(25);
    await p.page.getByRole('link', { name: 'Older messages' }).click();
    await p.page.waitForURL(/before=/);
    const second = await resultIds(p.page);
    expect(second).toHaveLength(1);
    expect(await p.page.getByRole('link', { name: 'Older messages' }).count()).toBe(0);
    expect([...first, ...second]).toEqual(more.map((m) => m.id).reverse());
    await p.close();
  });

  it("shows a message's status history and its source, escaped", async () => {
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    await p.page.goto(`${svc.url}/console/interactions?address=pat%40example.com`);
    await p.page.getByRole('link', { name: 'Order <b>1001</b> & more' }).click();
    await p.page.waitForURL(new RegExp(`/messages/${pat.id}$`));
    await expect(p.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Order <b>1001</b> & more');
    const history = await p.page.locator('table[data-history] tbody tr td:first-child').allTextContents();
    expect(history[0]).toBe('queued');
    expect(history.at(-1)).toBe('sent');
    await expect(p.page.locator('[data-status]').textContent()).resolves.toBe('sent');
    const raw = (await p.page.locator('pre[data-raw]').textContent()) ?? '';
    expect(raw).toContain('To: pat@example.com');
    expect(raw).toMatch(/Subject: Order <b>1001<\/b> & more/);
    expect(await p.page.locator('pre[data-raw] b').count()).toBe(0);
    await expectAccessible(p.page);
    await screenshot(p.page, 'interactions-message');

    await p.page.getByRole('link', { name: pat.conversationId }).click();
    await p.page.waitForURL(new RegExp(`/conversations/${pat.conversationId}$`));
    expect(await resultIds(p.page)).toEqual([pat.id]);
    await expectAccessible(p.page);
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });

  it("shows a received reply's threading decision and its source as received", async () => {
    const sent = (await svc.api('GET', `/api/v2/conversations/emails/${pat.conversationId}/messages/${pat.id}`)).body;
    const to = /^Reply-To:\s*(\S+@\S+)/im.exec(fs.readFileSync(path.join(svc.dataDir, 'captured', `${pat.id}.eml`), 'latin1').replace(/\r?\n\s+/g, ' '))![1]!;
    const reply = withHeaders(fs.readFileSync('fixtures/replies/inbucket__outlook.raw.eml'), {
      From: 'Pat Customer <pat@example.com>',
      To: to,
      Subject: 'RE: Order 1001',
      'Message-ID': '<console-reply-1@exch.example.com>',
      'In-Reply-To': sent.messageId,
    });
    expect(await deliver(svc.running.smtpPort, { from: 'pat@example.com', to: [to], raw: reply })).toMatch(/^250/);
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    await p.page.goto(`${svc.url}/console/interactions?direction=inbound&conversationId=${pat.conversationId}`);
    await p.page.getByRole('link', { name: 'RE: Order 1001' }).click();
    await p.page.waitForURL(/\/messages\/[^/]+$/);
    await expect(p.page.locator('[data-threading]').textContent()).resolves.toMatch(/Signal reply-token, outcome threaded/);
    await expect(p.page.locator('pre[data-raw]').textContent()).resolves.toContain('Message-ID: <console-reply-1@exch.example.com>');
    await expectAccessible(p.page);
    await screenshot(p.page, 'interactions-reply');
    await p.close();
  });

  it('refuses the interactions to a user who may not view messages, as the API does', async () => {
    const outsider = await createAgent(svc, { permissions: ['routing:queue:view'] });
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, outsider.email);
    expect(await p.page.getByRole('link', { name: 'Interactions' }).count()).toBe(0);
    for (const path of ['/console/interactions', `/console/interactions/conversations/${pat.conversationId}/messages/${pat.id}`, '/console/interactions/charts']) {
      expect((await p.page.goto(`${svc.url}${path}`))?.status()).toBe(403);
    }
    expect((await svc.api('GET', `/api/v2/conversations/emails/${pat.conversationId}`, { token: outsider.token })).status).toBe(403);
    await p.close();
  });

  it("refuses them to an agent too: an agent's console is their queues, the organization's messages are for supervisors", async () => {
    const agent = await createAgent(svc);
    const p = await openPage(browser, svc);
    await signIn(p.page, svc, agent.email);
    expect(await p.page.getByRole('link', { name: 'Interactions' }).count()).toBe(0);
    for (const path of ['/console/interactions', `/console/interactions/conversations/${pat.conversationId}/messages/${pat.id}`, '/console/interactions/charts']) {
      expect((await p.page.goto(`${svc.url}${path}`))?.status(), path).toBe(403);
    }
    await p.close();
    const supervisor = await createAgent(svc, { permissions: ['analytics:conversationDetail:view'] });
    const q = await openPage(browser, svc);
    await signIn(q.page, svc, supervisor.email);
    expect((await q.page.goto(`${svc.url}/console/interactions/conversations/${pat.conversationId}/messages/${pat.id}`))?.status()).toBe(200);
    await q.close();
  });
});

describe('console: charts of delivery outcomes and queue waits, each with its table', () => {
  let svc: TestService;
  let admin: Agent;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink({ onRcpt: (address) => (address === 'ghost@example.com' ? [550, '5.1.1 <ghost@example.com>: Recipient address rejected: User unknown'] : null) });
    svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` });
    admin = await consoleUser(svc, 'admin');
  });

  it('counts what was sent, failed and bounced, and the items taken from a queue, in tables that match', async () => {
    const ok = await send(svc, 'ok@example.com');
    const gone = await send(svc, 'gone@example.com');
    const ghost = await send(svc, 'ghost@example.com');
    await statusIs(svc, ok, 'sent');
    await statusIs(svc, gone, 'sent');
    await statusIs(svc, ghost, 'failed');
    const returnPath = sink.messages.find((m) => m.to.includes('gone@example.com'))!.from;
    const report = dsn({ to: returnPath, recipient: 'gone@example.com', status: '5.1.1', diagnostic: '550 5.1.1 no such user', original: '<x@example.com>' });
    expect(await deliver(svc.running.smtpPort, { from: '', to: [returnPath], raw: report })).toMatch(/^250/);
    await statusIs(svc, gone, 'bounced');
    const queueId = await createQueue(svc, [admin]);
    await enqueue(svc, { queueId, conversationId: ok.conversationId, messageId: ok.id });
    expect((await pull(svc, admin, queueId)).status).toBe(200);
    await eventsOf(svc, 'workitem.assigned', () => true, 1);

    const p = await openPage(browser, svc);
    await signIn(p.page, svc, admin.email);
    await p.page.goto(`${svc.url}/console/interactions/charts`);
    const headers = await p.page.locator('table[data-table="messages"] thead th').allTextContents();
    const totals = await p.page.locator('table[data-table="messages"] tfoot tr[data-total] td').allTextContents();
    const total = Object.fromEntries(headers.slice(1).map((h, i) => [h, Number(totals[i])]));
    expect(total).toEqual({ Sent: 2, Deferred: 0, Failed: 1, Bounced: 1, Complained: 0, 'Replies received': 0 });
    // The rows, one per hour, add up to the same numbers.
    const rows = await p.page.locator('table[data-table="messages"] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => Number(td.textContent))));
    expect(rows).toHaveLength(24);
    expect(rows.reduce((sum, row) => sum.map((n, i) => n + row[i]!), [0, 0, 0, 0, 0, 0])).toEqual([2, 0, 1, 1, 0, 0]);
    const taken = await p.page.locator('table[data-table="waits"] tbody tr td:nth-of-type(1)').allTextContents();
    expect(taken.map(Number).reduce((a, n) => a + n, 0)).toBe(1);
    // uPlot drew both charts from the data blocks beside the tables.
    await p.page.locator('[data-chart] canvas').nth(1).waitFor();

    // The page's scripts together stay under 100 KB: the charts page goes without htmx.
    const scripts = await p.page.evaluate(() => Array.from(document.scripts, (s) => s.src).filter(Boolean));
    const sizes = await Promise.all(scripts.map(async (src) => (await (await fetch(src)).arrayBuffer()).byteLength));
    expect(sizes.reduce((a, n) => a + n, 0)).toBeLessThan(100_000);
    await expectAccessible(p.page);
    await screenshot(p.page, 'interactions-charts');
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });
});
