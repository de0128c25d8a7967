import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, wrapupCode } from '../helpers/acd.js';
import { browserForFile, consoleUser, expectAccessible, openPage, screenshot, signIn } from '../helpers/console.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, withHeaders } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// Issue 18, item 6 for agents, in a real Chromium: an agent signs in, sees a new item arrive,
// takes it, reads the customer's reply (new text first, quote folded, authentication and
// threading one click away), sees a second reply arrive without reloading, answers (the answer
// reaches the relay threaded) and completes with one of the queue's wrap-up codes.

let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;
let browser: Browser;
let agent: Agent;

beforeAll(async () => {
  sink = await startSink();
  svc = await startService({ THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}` });
  browser = await browserForFile();
  agent = await consoleUser(svc, 'agent');
  // Replies go to the default queue (init routes the inbound domain's every address there).
  expect((await svc.api('POST', `/api/v2/routing/queues/${svc.init.queueId}/members`, { body: [{ id: agent.id }] })).status).toBe(204);
});

/** A real customer reply (a fixture), from the conversation's customer to the send's reply address. */
async function customerReplies(fixture: string, to: string, messageId: string) {
  const raw = withHeaders(fs.readFileSync(`fixtures/replies/${fixture}`), {
    From: 'Pat <customer@example.com>',
    To: to,
    'Message-ID': `<${messageId}>`,
    'In-Reply-To': null,
    References: null,
  });
  expect(await deliver(svc.running.smtpPort, { from: 'customer@example.com', to: [to], raw })).toMatch(/^250/);
}

describe('the agent inbox', () => {
  it('takes, reads, sees a new reply live, answers threaded and completes with a wrap-up code', async () => {
    const resolved = await wrapupCode(svc, 'Resolved', [svc.init.queueId]);
    const p = await openPage(browser, svc);
    const { page } = p;
    await signIn(page, svc, agent.email);
    const queueRow = page.getByRole('row').filter({ has: page.getByRole('rowheader') });
    await expect(queueRow.getByRole('cell').first().textContent()).resolves.toBe('0');
    // Set once: a reload or navigation would lose it.
    await page.evaluate(() => {
      (window as any).sameDocument = true;
    });

    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc) });
    expect(sent.status).toBe(202);
    const replyTo = sent.body.replyToAddress.email as string;
    await customerReplies('talon__gmail.eml', replyTo, 'console-first@mail.example.net');
    await page.waitForFunction(() => document.querySelector('#queues tbody td')?.textContent === '1', undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'inbox');

    await page.getByRole('button', { name: /^Take next from / }).click();
    await page.waitForURL(/\/console\/items\//);
    const newest = page.getByRole('article');
    await expect(newest.locator('.body').first().textContent()).resolves.toBe('Hello');
    const quoted = newest.locator('details', { hasText: 'Quoted history' });
    expect(await quoted.getAttribute('open')).toBeNull();
    await quoted.locator('summary').click();
    await expect(quoted.textContent()).resolves.toContain('> Hi');
    await newest.getByText('Authentication and threading').click();
    await expect(newest.locator('dl').first().textContent()).resolves.toMatch(/Verdict\s*Let in by the rule monitor/);
    await expect(newest.locator('dl').last().textContent()).resolves.toMatch(/Signal\s*reply-token/);
    await expectAccessible(page);
    await screenshot(page, 'work-item');

    // A second reply while the item is open: it appears without a reload.
    await page.evaluate(() => {
      (window as any).sameDocument = true;
    });
    await customerReplies('gitlab__ios_default.eml', replyTo, 'console-second@mail.example.net');
    await newest.locator('.body').first().filter({ hasText: 'this is a reply from iOS default mail' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);

    await page.getByLabel('Your answer').fill('Hi Pat, it arrives tomorrow.');
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Your answer is on its way.').waitFor();
    const answer = await waitFor(() => sink.messages.find((m) => m.raw.toString('latin1').includes('Hi Pat, it arrives tomorrow.')), 10_000, 'the answer at the relay');
    const mail = await simpleParser(answer.raw);
    expect(answer.to).toEqual(['customer@example.com']);
    expect(mail.inReplyTo).toBe('<console-second@mail.example.net>');
    expect(mail.references).toContain('<console-second@mail.example.net>');
    expect(mail.subject).toMatch(/^Re: /i);

    const itemId = new URL(page.url()).pathname.split('/').at(-1)!;
    const codeName = (await svc.api('GET', `/api/v2/routing/wrapupcodes/${resolved}`)).body.name as string;
    await page.getByLabel('Wrap-up code').selectOption({ label: codeName });
    await page.getByLabel('Notes (optional)').fill('Told them it arrives tomorrow.');
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.waitForURL(`${svc.url}/console`);
    await page.getByText('Completed.').waitFor();
    const item = await svc.api('GET', `/api/v2/acd/workitems/${itemId}`);
    expect(item.body).toMatchObject({ state: 'completed', completedBy: agent.id, wrapupCode: resolved, notes: 'Told them it arrives tomorrow.' });
    p.expectOnlyOwnHost();
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });
});
