import { beforeAll, describe, expect, it } from 'vitest';
import { LIVE } from '../../src/console/live.js';
import { type Agent, createQueue, enqueue, newConversation, PASSWORD, pull } from '../helpers/acd.js';
import { consoleUser, postWithCookie } from '../helpers/console.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';

// /console/live without a browser: what each stream is told, and when it ends.

interface Stream {
  events: Array<{ event: string; data: string }>;
  ended: boolean;
}

/** Reads a server-sent event stream in the background, collecting its events. */
function follow(svc: TestService, cookie: string): Stream {
  const s: Stream = { events: [], ended: false };
  void (async () => {
    const res = await fetch(`${svc.url}/console/live`, { headers: { cookie, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        if (event) s.events.push({ event, data: /^data: (.*)$/m.exec(block)?.[1] ?? '' });
      }
    }
    s.ended = true;
  })().catch(() => {
    s.ended = true;
  });
  return s;
}

const ready = (s: Stream) => s.events.some((e) => e.event === 'ready');
const changes = (s: Stream) => s.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data) as { types: string[]; count: number });

describe('the live stream', () => {
  let svc: TestService;
  let a: Agent;
  let b: Agent;
  let qa: string;
  let qb: string;
  const cookies = new Map<string, string>();
  const signIn = async (agent: Agent) => {
    const res = await postWithCookie(svc, '/console/sign-in', '', { email: agent.email, password: PASSWORD });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie()[0]!.split(';')[0]!;
  };
  beforeAll(async () => {
    svc = await startService();
    [a, b] = [await consoleUser(svc, 'agent'), await consoleUser(svc, 'agent')];
    qa = await createQueue(svc, [a]);
    qb = await createQueue(svc, [b]);
    cookies.set(a.id, await signIn(a));
    cookies.set(b.id, await signIn(b));
  });

  it("tells each agent about their own queues' items only, naming no ids", async () => {
    const sa = follow(svc, cookies.get(a.id)!);
    const sb = follow(svc, cookies.get(b.id)!);
    // Each stream starts at the log's end: wait until both follow it.
    await waitFor(() => (ready(sa) && ready(sb) ? true : undefined), 10_000, 'both streams ready');
    const first = await newConversation(svc);
    await enqueue(svc, { queueId: qa, ...first });
    await waitFor(() => (changes(sa).length > 0 ? true : undefined), 10_000, "a change on a's stream");
    expect(changes(sa)[0]).toEqual({ types: ['workitem.created'], count: 1 });
    const second = await newConversation(svc);
    await enqueue(svc, { queueId: qb, ...second });
    // b takes its item: an event of another type, after which b's stream has read everything before it.
    expect((await pull(svc, b, qb)).status).toBe(200);
    await waitFor(() => (changes(sb).some((c) => c.types.includes('workitem.assigned')) ? true : undefined), 10_000, "b's pull on b's stream");
    // b's stream read a's item too (the log is the organization's) and left it out.
    expect(changes(sb).reduce((n, c) => n + c.count, 0)).toBe(2);
    expect(sa.events.map((e) => e.data).join()).not.toContain(first.conversationId);
  });

  it("answers the live parts (htmx fragments) no-store, as its pages: they show the agent's queues", async () => {
    const cookie = await signIn(a);
    const res = await fetch(`${svc.url}/console/inbox/queues`, { headers: { cookie, 'hx-request': 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it(`keeps ${LIVE.perSession} streams of a session (its tabs), ends the oldest past them saying so, and ends them all at sign-out`, async () => {
    const cookie = await signIn(a);
    const tabs = [];
    for (let i = 0; i < LIVE.perSession; i++) {
      const tab = follow(svc, cookie);
      await waitFor(() => (ready(tab) ? true : undefined), 10_000, `tab ${i} ready`);
      tabs.push(tab);
    }
    const older = tabs[0]!;
    const newer = follow(svc, cookie);
    await waitFor(() => (older.ended ? true : undefined), 10_000, 'the oldest stream to end');
    expect(older.events.at(-1)).toEqual({ event: 'end', data: 'replaced' });
    await waitFor(() => (ready(newer) ? true : undefined), 10_000, 'the newer stream ready');
    for (const tab of tabs.slice(1)) expect(tab.ended, 'the other tabs keep theirs').toBeFalsy();
    const page = await (await fetch(`${svc.url}/console`, { headers: { cookie } })).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await postWithCookie(svc, '/console/sign-out', cookie, { _csrf: token })).status).toBe(303);
    for (const tab of [newer, ...tabs.slice(1)]) {
      await waitFor(() => (tab.ended ? true : undefined), 10_000, 'every stream to end at sign-out');
      expect(tab.events.at(-1)).toEqual({ event: 'end', data: 'signed-out' });
    }
    const after = await fetch(`${svc.url}/console/live`, { headers: { cookie }, redirect: 'manual' });
    expect(after.status).toBe(303);
  });
});
