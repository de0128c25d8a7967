import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createQueue, enqueue, newConversation, wrapupCode } from '../helpers/acd.js';
import { browserForFile, consoleUser, openPage, signIn } from '../helpers/console.js';
import { startService, type TestService } from '../helpers/service.js';

// The holder's other actions from the item page: extend, transfer, decline, and a refusal shown
// where the agent is; and what other users see of an item.

let svc: TestService;
let browser: Browser;
let a: Agent;
let b: Agent;
let outsider: Agent;
let q1: string;
let q2: string;

beforeAll(async () => {
  svc = await startService();
  browser = await browserForFile();
  [a, b, outsider] = [await consoleUser(svc, 'agent'), await consoleUser(svc, 'agent'), await consoleUser(svc, 'agent')];
  q1 = await createQueue(svc, [a, b]);
  q2 = await createQueue(svc, []);
});

async function newItem(queueId: string) {
  const conv = await newConversation(svc);
  return (await enqueue(svc, { queueId, ...conv })).id;
}
const item = async (id: string) => (await svc.api('GET', `/api/v2/acd/workitems/${id}`)).body;

describe('the item page', () => {
  it('extends, transfers and declines, each as the API does, saying what happened', async () => {
    const p = await openPage(browser, svc);
    const { page } = p;
    await signIn(page, svc, a.email);
    const first = await newItem(q1);
    await page.getByRole('button', { name: 'Take the next item from any of your queues' }).click();
    await page.waitForURL(`${svc.url}/console/items/${first}`);
    const leased = (await item(first)).leaseExpires;
    await page.getByRole('button', { name: 'Keep it for the next 5 minutes' }).click();
    await page.getByText('The item is yours for the next 5 minutes.').waitFor();
    expect(Date.parse((await item(first)).leaseExpires)).toBeGreaterThanOrEqual(Date.parse(leased));

    const q2Name = (await svc.api('GET', `/api/v2/routing/queues/${q2}`)).body.name as string;
    await page.getByLabel('Transfer to queue').selectOption({ label: q2Name });
    await page.getByRole('button', { name: 'Transfer' }).click();
    await page.waitForURL(`${svc.url}/console`);
    await page.getByText('Transferred.').waitFor();
    expect(await item(first)).toMatchObject({ state: 'waiting', queueId: q2, agentId: null });

    const second = await newItem(q1);
    await page.getByRole('button', { name: 'Take the next item from any of your queues' }).click();
    await page.waitForURL(`${svc.url}/console/items/${second}`);
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.waitForURL(`${svc.url}/console`);
    await page.getByText('Declined: the item is back in its queue.').waitFor();
    expect((await item(second)).history.map((e: { type: string }) => e.type)).toEqual(['enqueued', 'leased', 'declined']);
    expect(p.cspViolations).toEqual([]);
    await p.close();
  });

  it("shows the service's refusal on the page: completing without one of the queue's wrap-up codes", async () => {
    const q = await createQueue(svc, [a]);
    await wrapupCode(svc, 'Resolved', [q]);
    const id = await newItem(q);
    const p = await openPage(browser, svc);
    const { page } = p;
    await signIn(page, svc, a.email);
    const qName = (await svc.api('GET', `/api/v2/routing/queues/${q}`)).body.name as string;
    await page.getByRole('button', { name: `Take next from ${qName}` }).click();
    await page.waitForURL(`${svc.url}/console/items/${id}`);
    // The form asks for a code; a request without one (a script, an old page) is refused by the service.
    await page.getByLabel('Wrap-up code').evaluate((select) => select.removeAttribute('required'));
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.waitForURL(`${svc.url}/console/items/${id}`);
    await expect(page.locator('#flash').textContent()).resolves.toContain('wrapupCode: is required');
    expect((await item(id)).state).toBe('leased');
    await p.close();
  });

  it('shows a queue member the thread without the actions, and nobody else the item at all', async () => {
    const id = await newItem(q1);
    expect((await svc.api('POST', `/api/v2/acd/queues/${q1}/pull`, { token: a.token })).body.id).toBe(id);
    const member = await openPage(browser, svc);
    await signIn(member.page, svc, b.email);
    expect((await member.page.goto(`${svc.url}/console/items/${id}`))?.status()).toBe(200);
    await member.page.getByRole('heading', { name: 'Earlier in the conversation' }).waitFor();
    expect(await member.page.getByRole('button', { name: 'Send answer' }).count()).toBe(0);
    await member.close();
    const stranger = await openPage(browser, svc);
    await signIn(stranger.page, svc, outsider.email);
    expect((await stranger.page.goto(`${svc.url}/console/items/${id}`))?.status()).toBe(404);
    await stranger.close();
  });
});
