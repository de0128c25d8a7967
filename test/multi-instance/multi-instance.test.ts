import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveTokenKeys, messageIdHeader } from '../../src/mail/tokens.js';
import { verifySenderDomain } from '../../support/verify-domain.js';
import { BUILT, killChildren, type Served, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { call, firstStartClient, token } from '../helpers/instance-api.js';
import { type Cluster, createDatabase, startCluster } from '../helpers/postgres.js';
import { pool, tempDir, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// Two threadline processes on one PostgreSQL database, started at the same moment: 5,000 sends,
// 1,000 replies and 50 agents pulling, spread over both. Every message must reach the sink
// exactly once (counted by Message-ID), and no work item may be handed to two agents.

const SECRET = 'multi-instance-secret-'.padEnd(64, '0');
const keys = deriveTokenKeys(Buffer.from(SECRET));
const SENDS = 5000;
const REPLIES = 1000;
const AGENTS = 50;

let cluster: Cluster;
let instances: Served[];
let sink: Awaited<ReturnType<typeof startSink>>;
let dns: Awaited<ReturnType<typeof startDnsServer>>;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  cluster = await startCluster();
  sink = await startSink();
  const url = await createDatabase(cluster.adminUrl, 'multi');
  // The customers' domain authorizes the loopback sender and asks for DMARC enforcement: every
  // reply passes authentication for real (SPF aligned with From), as mail from a real provider.
  dns = await startDnsServer({
    'example.com': [{ type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.example.com': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
  });
  // Both at once, on an empty database: migrations and the first-start organization must each
  // happen exactly once.
  const vars = {
    THREADLINE_DATABASE_URL: url,
    THREADLINE_SECRET: SECRET,
    THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`,
    THREADLINE_LOG_LEVEL: 'warn',
    THREADLINE_LAST_AGENT_SECONDS: '0',
    THREADLINE_DNS_SERVERS: dns.address,
  };
  instances = await Promise.all([serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000), serve({ ...vars, THREADLINE_DATA_DIR: tempDir() }, 60_000)]);
}, 120_000);

afterAll(async () => {
  await killChildren();
  await cluster?.stop();
}, 60_000);

describe('two instances on one PostgreSQL', () => {
  it('initialize once, deliver every message exactly once, and never give one item to two agents', async () => {
    const { count, clientId, clientSecretOnce } = firstStartClient(instances);
    expect(count, 'exactly one instance initialized the empty database').toBe(1);
    const tokens = await Promise.all(instances.map((i) => token(i, clientId, clientSecretOnce)));
    const [a] = instances as [Served, Served];
    await call(a, 'PATCH', '/api/v2/organizations/me', tokens[0]!, { agentlessEmailRateLimitPerMinute: 1_000_000 });
    const sender = (await call(a, 'GET', '/api/v2/routing/email/outbound/domains', tokens[0]!)).body.entities[0].id as string;
    // Relaying refuses a sender domain whose DNS records do not verify.
    await verifySenderDomain({ url: a.url, token: tokens[0]!, domain: sender, zone: dns.zone });
    const queueId = (await call(a, 'GET', '/api/v2/routing/queues', tokens[0]!)).body.entities[0].id as string;

    // 5,000 sends, alternating between the instances.
    const sent = await pool(SENDS, 40, async (i) => {
      const inst = instances[i % 2]!;
      const res = await call(inst, 'POST', '/api/v2/conversations/emails/agentless', tokens[i % 2]!, {
        senderType: 'Outbound',
        fromAddress: { email: `orders@${sender}` },
        toAddresses: [{ email: `customer${i}@example.com` }],
        subject: `Order ${i}`,
        textBody: `Order ${i} has shipped.`,
      });
      expect(res.status).toBe(202);
      return res.body as { id: string; replyToAddress: { email: string } };
    });

    // 1,000 customers answer, to either instance's SMTP port.
    await pool(REPLIES, 20, async (i) => {
      const to = sent[i]!.replyToAddress.email;
      const raw = `From: customer${i}@example.com\r\nTo: ${to}\r\nSubject: Re: Order ${i}\r\nMessage-ID: <reply-${i}@example.com>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nWhere is order ${i}?\r\n`;
      expect(await deliver(instances[i % 2]!.smtpPort, { from: `customer${i}@example.com`, to: [to], raw })).toMatch(/^250/);
    });

    // 50 agents, half on each instance, pull until the queue is empty, completing each item.
    const agentIds = await pool(AGENTS, 10, async (i) => {
      const res = await call(a, 'POST', '/api/v2/users', tokens[0]!, { name: `Agent ${i}`, email: `agent${i}@example.com`, password: `password-${i}-long-enough` });
      expect(res.status).toBe(200);
      return res.body.id as string;
    });
    expect(
      (
        await call(
          a,
          'POST',
          `/api/v2/routing/queues/${queueId}/members`,
          tokens[0]!,
          agentIds.map((id) => ({ id })),
        )
      ).status,
    ).toBe(204);
    const agentTokens = await pool(AGENTS, 10, (i) =>
      token(instances[i % 2]!, clientId, clientSecretOnce, { grant_type: 'password', username: `agent${i}@example.com`, password: `password-${i}-long-enough` }),
    );
    const handedOut: Array<{ item: string; agent: number }> = [];
    await Promise.all(
      agentTokens.map(async (t, agent) => {
        const inst = instances[agent % 2]!;
        for (;;) {
          const pulled = await call(inst, 'POST', `/api/v2/acd/queues/${queueId}/pull`, t);
          if (pulled.status === 204) return;
          expect(pulled.status).toBe(200);
          handedOut.push({ item: pulled.body.id, agent });
          const done = await call(inst, 'POST', `/api/v2/acd/workitems/${pulled.body.id}/complete`, t, {});
          expect(done.status, JSON.stringify(done.body)).toBe(200);
        }
      }),
    );
    const items = new Set(handedOut.map((h) => h.item));
    expect(items.size, 'an item was handed to two agents').toBe(handedOut.length);
    expect(handedOut).toHaveLength(REPLIES);
    const agentsThatWorked = new Set(handedOut.map((h) => h.agent)).size;

    // Every send reaches the sink exactly once.
    const expected = new Set(sent.map((s) => messageIdHeader(keys, s.id, sender)));
    const counts = new Map<string, number>();
    await waitFor(
      () => {
        counts.clear();
        for (const m of sink.messages) {
          const id = /^Message-ID:\s*<([^>]+)>/im.exec(m.raw.toString('latin1').replace(/\r\n[ \t]+/g, ' '))?.[1];
          if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        return [...expected].every((id) => counts.has(id)) ? true : undefined;
      },
      180_000,
      'all 5,000 messages at the sink',
    );
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    console.log(
      `multi-instance: ${SENDS} sends, ${REPLIES} replies, ${handedOut.length} items to ${agentsThatWorked} agents, sink ${sink.messages.length} messages, duplicates ${duplicates}`,
    );
    expect(duplicates).toBe(0);
    expect(sink.messages.length).toBe(SENDS);
  }, 600_000);
});
