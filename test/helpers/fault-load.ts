import { expect } from 'vitest';
import { verifySenderDomain } from '../../support/verify-domain.js';
import type { Served } from './child-service.js';
import { startDnsServer } from './dns-server.js';
import { waitFor } from './service.js';
import { deliver } from './smtp-client.js';

// What the fault tests share: a threadline child with a verified sender domain and a reply
// address, a load of sends (HTTP) and replies (SMTP) that records what was acknowledged and
// what was refused, and the counts a test checks after the fault.

/** The customer of the conversation the replies answer. */
export const CUSTOMER = 'customer-1@example.com';

export interface FaultTarget {
  svc: Served;
  token: string;
  sender: string;
  replyTo: string;
  /** An agent in the queue the replies go to, who pulls and completes their work items. */
  agent: { token: string; queueId: string };
}

/** SPF and DMARC for the customers' domain, so that the replies authenticate. */
export const startCustomerDns = () =>
  startDnsServer({
    'example.com': [{ type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.example.com': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
  });

export async function call(t: { svc: Served; token: string }, method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.svc.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : null };
}

export const sendBody = (sender: string, n: number) => ({
  senderType: 'Outbound',
  fromAddress: { email: `orders@${sender}` },
  toAddresses: [{ email: `customer${n}@example.com` }],
  subject: `Order ${n}`,
  textBody: `Order ${n} has shipped.`,
});

/** Logs in as the admin `serve` created, lifts the rate limit, verifies the sender domain and sends once (for a reply address). */
export async function prepareTarget(svc: Served, dns: Awaited<ReturnType<typeof startCustomerDns>>): Promise<FaultTarget> {
  const cred = JSON.parse(
    svc
      .output()
      .split('\n')
      .find((l) => l.includes('clientSecretOnce'))!,
  ) as { clientId: string; clientSecretOnce: string };
  const grant = async (form: Record<string, string>) => {
    const res = await fetch(`${svc.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${cred.clientId}:${cred.clientSecretOnce}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const token = await grant({ grant_type: 'client_credentials' });
  const t = { svc, token };
  expect((await call(t, 'PATCH', '/api/v2/organizations/me', { agentlessEmailRateLimitPerMinute: 1_000_000 })).status).toBe(200);
  const sender = (await call(t, 'GET', '/api/v2/routing/email/outbound/domains')).body.entities[0].id as string;
  await verifySenderDomain({ url: svc.url, token, domain: sender, zone: dns.zone });
  const first = await call(t, 'POST', '/api/v2/conversations/emails/agentless', sendBody(sender, -1));
  const queueId = (await call(t, 'GET', '/api/v2/routing/queues')).body.entities[0].id as string;
  const user = await call(t, 'POST', '/api/v2/users', { name: 'Agent', email: 'agent@example.com', password: 'agent-password-long-enough' });
  expect((await call(t, 'POST', `/api/v2/routing/queues/${queueId}/members`, [{ id: user.body.id }])).status).toBe(204);
  const agentToken = await grant({ grant_type: 'password', username: 'agent@example.com', password: 'agent-password-long-enough' });
  return { svc, token, sender, replyTo: first.body.replyToAddress.email, agent: { token: agentToken, queueId } };
}

/** What the load saw: acknowledged work by key, refusals by their answer. */
export interface Load {
  sends: Set<number>;
  /** The message id each acknowledged send was given, for naming a lost one in a failure. */
  sendIds: Map<number, string>;
  replies: Set<number>;
  /** Work items the agent pulled and completed. */
  completed: Set<string>;
  refusals: Map<string, number>;
  stop(): Promise<void>;
}

export function startLoad(t: FaultTarget, o: { senders: number; repliers: number }): Load {
  const load: Load = { sends: new Set(), sendIds: new Map(), replies: new Set(), completed: new Set(), refusals: new Map(), stop: async () => {} };
  let running = true;
  let next = 0;
  const refuse = (what: string) => load.refusals.set(what, (load.refusals.get(what) ?? 0) + 1);
  const senders = Array.from({ length: o.senders }, async () => {
    while (running) {
      const n = next++;
      const res = await call(t, 'POST', '/api/v2/conversations/emails/agentless', sendBody(t.sender, n)).catch((err: Error) => ({
        status: 0,
        retryAfter: null,
        body: { code: err.message },
      }));
      if (res.status === 202) {
        load.sends.add(n);
        load.sendIds.set(n, String(res.body.id));
      } else {
        refuse(`HTTP ${res.status} ${res.body?.code} retry-after=${res.retryAfter}`);
        await new Promise((r) => setTimeout(r, 50)); // a client honouring Retry-After, shortened
      }
    }
  });
  const repliers = Array.from({ length: o.repliers }, async () => {
    while (running) {
      const n = next++;
      const raw = `From: ${CUSTOMER}\r\nTo: ${t.replyTo}\r\nSubject: Re: Order\r\nMessage-ID: <fault-reply-${n}@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nReply ${n}\r\n`;
      const answer = await deliver(t.svc.smtpPort, { from: CUSTOMER, to: [t.replyTo], raw }).catch((err: Error) => `ERR ${err.message}`);
      if (answer.startsWith('250')) load.replies.add(n);
      else {
        refuse(`SMTP ${answer.slice(0, 9)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  const failed = (err: Error) => ({ status: 0, retryAfter: null, body: { code: err.message } });
  const asAgent = { svc: t.svc, token: t.agent.token };
  const agent = (async () => {
    while (running) {
      const pulled = await call(asAgent, 'POST', `/api/v2/acd/queues/${t.agent.queueId}/pull`).catch(failed);
      if (pulled.status === 200) {
        const done = await call(asAgent, 'POST', `/api/v2/acd/workitems/${pulled.body.id}/complete`, {}).catch(failed);
        if (done.status === 200) load.completed.add(pulled.body.id);
        else refuse(`HTTP ${done.status} ${done.body?.code} retry-after=${done.retryAfter}`);
      } else if (pulled.status !== 204) refuse(`HTTP ${pulled.status} ${pulled.body?.code} retry-after=${pulled.retryAfter}`);
      await new Promise((r) => setTimeout(r, 20)); // an agent's pace between items
    }
  })();
  load.stop = async () => {
    running = false;
    await Promise.all([...senders, ...repliers, agent]);
  };
  return load;
}

/** Milliseconds from now until a send is accepted again. */
let probes = 1_000_000;
export async function timeToRecover(t: FaultTarget): Promise<number> {
  const started = Date.now();
  // Each probe its own number: one accepted twice would count as a duplicate delivery.
  await waitFor(
    async () => ((await call(t, 'POST', '/api/v2/conversations/emails/agentless', sendBody(t.sender, probes++))).status === 202 ? true : undefined),
    30_000,
    'a send accepted again',
  );
  return Date.now() - started;
}

export const subjectsOf = (messages: { raw: Buffer }[]) => messages.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString('latin1'))?.[1]?.trim());

/** Acknowledged sends the relay has not received yet. */
export function missingSends(load: Load, messages: { raw: Buffer }[]): number[] {
  const got = new Set(subjectsOf(messages));
  return [...load.sends].filter((n) => !got.has(`Order ${n}`));
}

/** Messages the relay received more than once (each extra copy counts). */
export function duplicateCount(messages: { raw: Buffer }[]): number {
  const seen = new Map<string, number>();
  for (const s of subjectsOf(messages)) seen.set(s!, (seen.get(s!) ?? 0) + 1);
  return [...seen.values()].reduce((sum, c) => sum + c - 1, 0);
}
