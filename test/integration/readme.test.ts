import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BIN, freePort, killChildren, ROOT, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/service.js';

// The README's walk-through, run as a reader pastes it: its `sh` blocks, in order, in one bash,
// against the built `threadline` on free ports and a fresh data folder. Two stand-ins, because a
// test must not rebuild dist/ under the other test files: `npx threadline …` runs bin/threadline.js
// and `npm start` runs `threadline serve` (what it runs after building). Everything else (curl,
// jq, the helpers the README defines) is the README's own text.

const SECTION = '## Walk-through: send a notification and follow it';

/** The `sh` blocks of the walk-through section, dedented, in order. */
function walkThroughBlocks(readme: string): string[] {
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const lines = readme.slice(start, end < 0 ? undefined : end).split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```sh\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(indent));
    blocks.push(body.join('\n'));
  }
  return blocks;
}

const STAND_INS = `
npx() { if [ "$1" = threadline ]; then shift; node "$THREADLINE_BIN" "$@"; else echo "test: unexpected npx $*" >&2; return 1; fi; }
npm() { if [ "$1" = start ]; then exec node "$THREADLINE_BIN" serve; else echo "test: unexpected npm $*" >&2; return 1; fi; }
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script in bash, in its own process group (what it starts in the background ends with it). */
function bash(script: string, env: Record<string, string>, cwd: string, ms = 150_000): Promise<Ran> {
  const child = spawn('bash', ['-c', script], { cwd, env: { PATH: process.env.PATH!, HOME: cwd, THREADLINE_BIN: BIN, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  onTestFinished(killGroup);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(killGroup, ms);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

let blocks: string[];
beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  blocks = walkThroughBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
});

/** A data folder (and on integration-pg a database), loopback DNS, free ports: the environment of one reader. */
async function reader() {
  const dir = tempDir();
  const dns = await startDnsServer();
  const url = await testDatabaseUrl();
  const httpPort = await freePort();
  const smtpPort = await freePort();
  const env = {
    THREADLINE_DATA_DIR: path.join(dir, 'data'),
    THREADLINE_DNS_SERVERS: dns.address,
    ...(url ? { THREADLINE_DATABASE_URL: url } : {}),
    THREADLINE_HTTP_PORT: String(httpPort),
    THREADLINE_SMTP_PORT: String(smtpPort),
    BASE: `http://127.0.0.1:${httpPort}`,
    SMTP: `127.0.0.1:${smtpPort}`,
  };
  return { dir, env };
}

function expectWalkedThrough(ran: Ran) {
  expect(ran.code, `${ran.stderr}\n${ran.stdout}`).toBe(0);
  expect(ran.stderr).not.toContain('walk-through:');
  // The reply is in the conversation, and the agent's answer after it.
  expect(ran.stdout).toMatch(/"direction": "inbound",\s*"subject": "Re: Your order has shipped"/);
  expect(ran.stdout).toMatch(/"direction": "outbound",\s*"senderType": "Agent",\s*"subject": "Re: Your order has shipped"/);
}

describe('the README walk-through, verbatim', () => {
  it('has the blocks it is made of', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks.join('\n')).toContain('npx threadline init');
  });

  // A whole session of a reader, on a machine shared with other tests: minutes, not seconds.
  it('works on a fresh clone: init first, then threadline started by the walk-through', { timeout: 180_000 }, async () => {
    const { dir, env } = await reader();
    const ran = await bash(['set -euo pipefail', STAND_INS, ...blocks].join('\n'), env, dir);
    expectWalkedThrough(ran);
    expect(fs.readFileSync(path.join(dir, 'threadline.log'), 'utf8')).toContain('threadline started');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'acme.json'), 'utf8'))).toMatchObject({ orgName: 'Acme', senderDomain: 'notify.localhost' });
  });

  it('works when threadline was started before init (its Default organization holds the default domains)', { timeout: 180_000 }, async () => {
    onTestFinished(killChildren);
    const { dir, env } = await reader();
    const { THREADLINE_HTTP_PORT: _h, THREADLINE_SMTP_PORT: _s, BASE: _b, SMTP: _m, ...store } = env;
    const running = await serve(store, 60_000);
    const ran = await bash(['set -euo pipefail', STAND_INS, ...blocks].join('\n'), { ...store, BASE: running.url, SMTP: `127.0.0.1:${running.smtpPort}` }, dir);
    expectWalkedThrough(ran);
    expect(fs.existsSync(path.join(dir, 'threadline.log'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'acme.json'), 'utf8')).senderDomain).toMatch(/^acme-[0-9a-f]{8}\.notify\.localhost$/);
  });

  it('says what failed instead of going on with an empty token', { timeout: 120_000 }, async () => {
    const { dir, env } = await reader();
    const running = await serve(
      {
        THREADLINE_DATA_DIR: env.THREADLINE_DATA_DIR,
        THREADLINE_DNS_SERVERS: env.THREADLINE_DNS_SERVERS,
        ...(env.THREADLINE_DATABASE_URL ? { THREADLINE_DATABASE_URL: env.THREADLINE_DATABASE_URL } : {}),
      },
      60_000,
    );
    onTestFinished(killChildren);
    // The helpers, then the token step with a wrong secret, as pasted: no `set -e`.
    const token = blocks.find((b) => b.includes('grant_type=client_credentials'))!;
    const ran = await bash([blocks[0]!, 'CLIENT_ID=nobody CLIENT_SECRET=wrong', token, 'echo "TOKEN=[$TOKEN]"'].join('\n'), { BASE: running.url }, dir);
    expect(ran.stderr).toContain('walk-through: no .access_token in: {');
    expect(ran.stderr).toContain('invalid_client');
    expect(ran.stdout).toContain('TOKEN=[]');
  });
});
