import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { SMTPServer } from 'smtp-server';
import { open } from './floors-sql.js';

// A child of bench/floors.ts: one server built from a single part, with nothing of threadline
// in it, so that the parent can read what the part alone costs a request. Started with IPC;
// sends `{ port }` once listening, answers `'cpu'` with its process.cpuUsage().
//
//   http  node:http: reads the body, JSON.parse, answers 202 with a small JSON body
//   hono  the same on hono and @hono/node-server, threadline's HTTP stack
//   smtp  smtp-server with handlers that accept every envelope and read the message to its end
//   route FILE SYNC  the same hono route, inserting one row per request into the SQLite file
//               FILE (threadline's pragmas, WAL, but synchronous = SYNC: FULL syncs every commit to
//               disk before the 202, as threadline does; NORMAL leaves that to checkpoints): the
//               bare route bench:send sets threadline's accepted/s against

const ANSWER = JSON.stringify({ conversationId: '01KAXQ4Z6V3N8T2B5M7C9D1E3F', messageId: '01KAXQ4Z6V3N8T2B5M7C9D1E3G' });
const PATH = '/api/v2/conversations/emails/agentless';

const ready = (port: number) => process.send!({ port });
process.on('message', (m) => {
  if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));

const mode = process.argv[2];
if (mode === 'http') {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(ANSWER);
    });
  });
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (mode === 'hono') {
  const app = new Hono();
  app.post(PATH, async (c) => {
    await c.req.json();
    return c.body(ANSWER, 202, { 'content-type': 'application/json' });
  });
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => ready(info.port));
} else if (mode === 'route') {
  const db = open(process.argv[3]!);
  db.pragma(`synchronous = ${process.argv[4] === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.exec('create table if not exists sends (id text primary key, to_email text not null, subject text not null, text_body text not null, created_at integer not null)');
  const insert = db.prepare('insert into sends (id, to_email, subject, text_body, created_at) values (?, ?, ?, ?, ?)');
  const app = new Hono();
  app.post(PATH, async (c) => {
    const b = (await c.req.json()) as { toAddresses: Array<{ email: string }>; subject: string; textBody: string };
    insert.run(randomUUID(), b.toAddresses[0]!.email, b.subject, b.textBody, Date.now());
    return c.body(ANSWER, 202, { 'content-type': 'application/json' });
  });
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => ready(info.port));
} else if (mode === 'smtp') {
  const server = new SMTPServer({
    banner: 'floors ESMTP',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => cb(null));
    },
  });
  server.listen(0, '127.0.0.1', () => ready((server.server.address() as AddressInfo).port));
} else {
  console.error(`floors-server: unknown mode ${mode}; expected http, hono, route or smtp`);
  process.exit(2);
}
