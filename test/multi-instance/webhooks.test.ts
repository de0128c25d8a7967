import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, killChildren, type Served, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { call, firstStartClient, token } from '../helpers/instance-api.js';
import { type Cluster, createDatabase, startCluster } from '../helpers/postgres.js';
import { pool, tempDir, waitFor } from '../helpers/service.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

// Two threadline processes share one PostgreSQL database and one webhook. Sends go to both, so
// both write events (queued, and sent by each one's delivery worker); the webhook's dispatch
// job is taken by either instance in turn. The receiver fails the first try of some events, so
// that retries (5 s later, real time) run beside new events of other conversations. It must
// get every event of those conversations exactly once (answered 2xx once per webhook-id),
// never a second try of an event it took, and each conversation's in log order.

const SECRET = 'webhooks-multi-secret-'.padEnd(64, '0');
const SENDS = 300;

interface Event {
  id: string;
  type: string;
  data: { messageId?: string; conversationId?: string };
}

let cluster: Cluster;
let instances: Served[];
let tokens: string[];

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  cluster = await startCluster();
  const url = await createDatabase(cluster.adminUrl, 'webhooks');
  const dns = await startDnsServer({});
  const vars = {
    THREADLINE_DATABASE_URL: url,
    THREADLINE_SECRET: SECRET,
    THREADLINE_LOG_LEVEL: 'warn',
    THREADLINE_DNS_SERVERS: dns.address,
    THREADLINE_WEBHOOK_ALLOW_PRIVATE: 'true',
  };
  instances = await Promise.all([serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000), serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000)]);
  const { clientId, clientSecretOnce } = firstStartClient(instances);
  tokens = await Promise.all(instances.map((i) => token(i, clientId, clientSecretOnce)));
  await call(instances[0]!, 'PATCH', '/api/v2/organizations/me', tokens[0]!, { agentlessEmailRateLimitPerMinute: 1_000_000 });
}, 120_000);

afterAll(async () => {
  await killChildren();
  await cluster?.stop();
}, 60_000);

describe('a webhook on two instances', () => {
  it('delivers each event once, every conversation in order, while both instances write and deliver', async () => {
    const rx = await startReceiver();
    // Every seventh event fails its first try.
    const tried = new Map<string, number>();
    rx.answer((r) => {
      const id = String(r.headers['webhook-id']);
      const n = (tried.get(id) ?? 0) + 1;
      tried.set(id, n);
      return n === 1 && id.charCodeAt(id.length - 1) % 7 === 0 ? { status: 500 } : { status: 204 };
    });
    const created = await call(instances[1]!, 'POST', '/api/v2/webhooks', tokens[1]!, { url: rx.url, eventTypes: ['message.queued', 'message.sent'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const sender = (await call(instances[0]!, 'GET', '/api/v2/routing/email/outbound/domains', tokens[0]!)).body.entities[0].id as string;
    const conversations = new Set<string>();
    await pool(SENDS, 20, async (i) => {
      const res = await call(instances[i % 2]!, 'POST', '/api/v2/conversations/emails/agentless', tokens[i % 2]!, {
        senderType: 'Outbound',
        fromAddress: { email: `orders@${sender}` },
        toAddresses: [{ email: `customer${i}@example.com` }],
        subject: `Order ${i}`,
        textBody: `Order ${i} has shipped.`,
      });
      expect(res.status).toBe(202);
      conversations.add(res.body.conversationId);
    });

    const mine = (e: Event) => conversations.has(e.data.conversationId ?? '');
    // Two events per send: queued, then sent (capture mode delivers every message).
    const got = await waitFor(
      () => {
        const d = rx.delivered().filter(mine);
        return d.length >= 2 * SENDS ? d : undefined;
      },
      180_000,
      'every event delivered',
    );

    // The log as it stands, read from the start.
    const log: Event[] = [];
    let cursor: string | null = null;
    for (;;) {
      const res = await call(instances[0]!, 'GET', `/api/v2/events?limit=1000&types=message.queued,message.sent${cursor ? `&after=${cursor}` : ''}`, tokens[0]!);
      if (res.body.entities.length === 0) break;
      log.push(...res.body.entities);
      cursor = res.body.nextCursor;
    }
    const logged = log.filter(mine);
    expect(logged).toHaveLength(2 * SENDS);

    const ids = got.map((e) => e.id);
    expect(new Set(ids).size, 'an event was delivered twice').toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(logged.map((e) => e.id)));
    // A try after a 2xx would show as a second request: only failed events were tried again.
    const failed = rx.requests.filter((r) => r.status === 500).length;
    expect(failed).toBeGreaterThan(0);
    expect(rx.requests.filter((r) => mine(JSON.parse(r.body)))).toHaveLength(2 * SENDS + failed);

    const byConversation = (list: Event[]) => {
      const m = new Map<string, string[]>();
      for (const e of list) m.set(e.data.conversationId!, [...(m.get(e.data.conversationId!) ?? []), e.id]);
      return m;
    };
    expect(byConversation(got)).toEqual(byConversation(logged));
    console.log(`webhooks multi-instance: ${got.length} events delivered once each over two instances, ${failed} first tries failed and retried`);
  }, 600_000);
});
