import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { atEnd } from '../helpers/cleanup.js';
import { configuration, template } from '../helpers/outbound.js';
import { startService, type TestService, tempDir, waitFor } from '../helpers/service.js';

// `threadline send` as a user runs it (the compiled bin) beside a running service on the same
// database: a CSV of contacts sent in batches of 100, bad rows reported by line, and a run
// killed with SIGKILL resumed without mailing anyone twice or missing anyone.

const BIN = 'bin/threadline.js';
let svc: TestService;

beforeAll(async () => {
  if (!fs.existsSync('dist/src/main.js')) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  // 300 sends a minute: the fourth batch is refused with a Retry-After, and the CLI waits there.
  svc = await startService({ THREADLINE_RATE_LIMIT_PER_MINUTE: '300' });
});

function send(args: string[]) {
  const config = svc.running.config;
  const child = spawn(process.execPath, [BIN, 'send', ...args], {
    env: { PATH: process.env.PATH, THREADLINE_DATA_DIR: config.dataDir, THREADLINE_DATABASE_URL: config.databaseUrl, THREADLINE_SECRET: 'test-secret-0123456789abcdef0123456789abcdef' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  atEnd(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

const sentTo = async (prefix: string) =>
  svc.running.services.batcher.run(async (trx) => (await trx.selectFrom('messages').select(['to_email']).where('to_email', 'like', `${prefix}%`).execute()).map((r) => r.to_email));

describe('threadline send', () => {
  it('sends a CSV in batches, reports bad rows by line, and resumes after kill -9 without sending anyone twice', async () => {
    const t = await svc.api('POST', '/api/v2/outbound/templates', { body: template() });
    const cfg = (await svc.api('POST', '/api/v2/outbound/configurations', { body: configuration(svc.init.senderDomain, t.body.id) })).body.id as string;
    const dir = tempDir();
    const file = path.join(dir, 'contacts.csv');
    const rows = ['tocontactid,optin,locale,CustomerName,CaseName,OrderNumber'];
    for (let i = 0; i < 1000; i++) rows.push(`batch-${i}@example.com,true,fi-FI,"Asiakas, ${i}",CAS-${i},${i}`);
    rows.splice(11, 0, 'bad-optin@example.com,maybe,en,Pat,CAS-x,1'); // line 12
    rows.splice(501, 0, 'too,few'); // line 502
    rows.push(',true,en,Nobody,CAS-y,2'); // line 1004
    fs.writeFileSync(file, `${rows.join('\n')}\n`);
    const results = path.join(dir, 'out.csv');

    const first = send(['--configuration', cfg, '--contacts', file, '--results', results]);
    await waitFor(() => (/rate limited/.test(first.stderr()) ? true : undefined), 30_000, 'the first run to reach the rate limit');
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await sentTo('batch-');
    expect(before.length).toBe(300);

    expect((await svc.api('PATCH', '/api/v2/organizations/me', { body: { agentlessEmailRateLimitPerMinute: 100_000 } })).status).toBe(200);
    const second = send(['--configuration', cfg, '--contacts', file, '--results', results]);
    expect(await second.exited, second.stderr()).toBe(1);
    expect(second.stderr()).toMatch(/^line 12: .*opt-in must be true or false/m);
    expect(second.stderr()).toMatch(/^line 502: .*columns length is 6, got 2/m);
    expect(second.stderr()).toMatch(/^line 1004: no tocontactid$/m);
    expect(second.stderr()).toMatch(/1003 rows: 1000 queued, 0 skipped, 3 bad rows \(3 batches already sent before/);

    const after = await sentTo('batch-');
    expect(after.length).toBe(1000);
    expect(new Set(after).size).toBe(1000);
    const lines = fs.readFileSync(results, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('line,tocontactid,status,messageId,conversationId,reason');
    expect(lines.filter((l) => /,queued,/.test(l))).toHaveLength(1000);
    expect(lines.filter((l) => /,invalid,/.test(l)).map((l) => l.split(',')[0])).toEqual(['12', '502', '1004']);
    expect(lines).toContain(lines.find((l) => l.startsWith('2,batch-0@example.com,queued,')));
  });

  it('refuses a missing file or configuration in one line', async () => {
    const missing = send(['--configuration', '01a20000-0000-7000-8000-000000000000', '--contacts', '/nonexistent/contacts.csv']);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toBe('threadline send: cannot read /nonexistent/contacts.csv (ENOENT).\n');
    const file = path.join(tempDir(), 'one.csv');
    fs.writeFileSync(file, 'tocontactid,optin\nnone@example.com,true\n');
    const unknown = send(['--configuration', '01a20000-0000-7000-8000-000000000000', '--contacts', file]);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr()).toBe('threadline send: Outbound configuration 01a20000-0000-7000-8000-000000000000 was not found.\n');
    const usage = send(['--contacts', 'x.csv']);
    expect(await usage.exited).toBe(2);
    expect(usage.stderr().trim()).toBe('threadline send: --configuration is required (see threadline send --help)');
  });
});
