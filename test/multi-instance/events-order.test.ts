import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, killChildren, type Served } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { call, twoInstances } from '../helpers/instance-api.js';
import { type Cluster, createDatabase, startCluster } from '../helpers/postgres.js';
import { pool } from '../helpers/service.js';

// Two threadline processes write events into one PostgreSQL database at once (sends over HTTP
// to both, and each one's delivery worker recording outcomes), while a reader follows the log
// by its cursor, asking either instance in turn. The reader must see every event exactly once,
// and what it saw, in the order it saw it, must be the log as read afterwards from the start:
// no event may commit behind a cursor the reader has passed.

const SECRET = 'events-order-secret-'.padEnd(64, '0');
const SENDS = 1500;

interface Event {
  id: string;
  type: string;
  data: { messageId?: string };
}

let cluster: Cluster;
let instances: Served[];
let tokens: string[];

/** One page after `cursor` from instance `i % 2`. */
async function page(i: number, cursor: string | null, limit = 200): Promise<{ entities: Event[]; nextCursor: string }> {
  const res = await call(instances[i % 2]!, 'GET', `/api/v2/events?limit=${limit}${cursor ? `&after=${cursor}` : ''}`, tokens[i % 2]!);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  cluster = await startCluster();
  const url = await createDatabase(cluster.adminUrl, 'events');
  const dns = await startDnsServer({});
  // Capture mode: every send is delivered (to a file) and recorded as sent by its instance's worker.
  const vars = { THREADLINE_DATABASE_URL: url, THREADLINE_SECRET: SECRET, THREADLINE_LOG_LEVEL: 'warn', THREADLINE_DNS_SERVERS: dns.address };
  ({ instances, tokens } = await twoInstances(vars));
}, 120_000);

afterAll(async () => {
  await killChildren();
  await cluster?.stop();
}, 60_000);

describe('the event log on two instances', () => {
  it('gives a reader that follows the cursor every event once, in one order that never goes back', async () => {
    const sender = (await call(instances[0]!, 'GET', '/api/v2/routing/email/outbound/domains', tokens[0]!)).body.entities[0].id as string;
    const followed: Event[] = [];
    let cursor: string | null = null;
    let polls = 0;
    let sending = true;
    const sentIds = new Set<string>();
    const seenSent = new Set<string>();

    // The reader: as fast as it can while the writers write, then until every send is sent (an
    // event committed behind its cursor never shows up: it gives up two minutes after the sends).
    let deadline = Infinity;
    const reader = (async () => {
      while (sending || seenSent.size < SENDS) {
        if (Date.now() > deadline) throw new Error(`reader gave up: ${seenSent.size} of ${SENDS} sends seen sent`);
        const p = await page(polls++, cursor);
        followed.push(...p.entities);
        for (const e of p.entities) if (e.type === 'message.sent') seenSent.add(e.data.messageId!);
        cursor = p.nextCursor;
        // Poll again soon when caught up (the writers commit several times a millisecond).
        if (p.entities.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();

    await pool(SENDS, 30, async (i) => {
      const res = await call(instances[i % 2]!, 'POST', '/api/v2/conversations/emails/agentless', tokens[i % 2]!, {
        senderType: 'Outbound',
        fromAddress: { email: `orders@${sender}` },
        toAddresses: [{ email: `customer${i}@example.com` }],
        subject: `Order ${i}`,
        textBody: `Order ${i} has shipped.`,
      });
      expect(res.status).toBe(202);
      sentIds.add(res.body.id);
    }).finally(() => {
      sending = false;
      deadline = Date.now() + 120_000;
    });
    await reader;

    const ids = followed.map((e) => e.id);
    expect(new Set(ids).size, 'an event was read twice').toBe(ids.length);
    for (const type of ['message.queued', 'message.sent']) {
      const of = followed.filter((e) => e.type === type).map((e) => e.data.messageId!);
      expect(new Set(of), type).toEqual(sentIds);
      expect(of, `${type} once per send`).toHaveLength(SENDS);
    }

    // Read again from the start once all is written: the same events, in the same order.
    const again: Event[] = [];
    let c: string | null = null;
    for (let i = 0; ; i++) {
      const p = await page(i, c, 1000);
      if (p.entities.length === 0) break;
      again.push(...p.entities);
      c = p.nextCursor;
    }
    console.log(`events-order: ${followed.length} events followed in ${polls} polls over two instances`);
    // (A change made since the reader stopped, such as a background domain check, may follow.)
    expect(
      again.slice(0, ids.length).map((e) => e.id),
      'the reader missed an event or saw one out of order',
    ).toEqual(ids);
  }, 600_000);
});
