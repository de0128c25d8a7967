import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort, killChildren, serve } from '../helpers/child-service.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/service.js';

// The CLI as a user runs it: the compiled bin, a fresh data folder, only environment variables.
// In the integration-pg project each test also gets a fresh PostgreSQL database; the data folder
// still holds the generated secret.key, so its permissions are checked on both databases.
const BIN = 'bin/threadline.js';

beforeAll(() => {
  if (!fs.existsSync('dist/src/main.js')) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
});

/** A fresh data folder, and on integration-pg a fresh database: the variables naming them. */
async function freshStore(sub = ''): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = sub ? path.join(tempDir(), sub) : tempDir();
  const url = await testDatabaseUrl();
  return { dir, env: { THREADLINE_DATA_DIR: dir, ...(url ? { THREADLINE_DATABASE_URL: url } : {}) } };
}

function cli(args: string[], env: Record<string, string>, input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) });
}

const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('threadline CLI', () => {
  it('init --json creates an organization whose credentials work', async () => {
    const { dir, env } = await freshStore();
    const res = cli(['init', '--org', 'Acme', '--json'], env);
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({
      orgId: expect.any(String),
      clientId: expect.any(String),
      clientSecret: expect.any(String),
      inboundDomain: 'replies.localhost',
      senderDomain: 'notify.localhost',
    });
    // A second organization gets its own domains instead of failing.
    const second = JSON.parse(cli(['init', '--org', 'Beta', '--json'], env).stdout);
    expect(second.senderDomain).toMatch(/^beta-[0-9a-f]{8}\.notify\.localhost$/);
    expect(fs.statSync(`${dir}/secret.key`).mode & 0o077).toBe(0);
  });

  it('migrate applies migrations once', async () => {
    const { env } = await freshStore();
    const first = cli(['migrate'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied: .*create_organizations/);
    expect(cli(['migrate'], env).stdout).toMatch(/no pending migrations/);
  });

  it('stops at start-up with one clear message naming a bad variable', () => {
    const res = cli(['serve'], { THREADLINE_HTTP_PORT: 'eighty' });
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('THREADLINE_HTTP_PORT');
    const unknown = cli(['frobnicate'], {});
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
  });

  it('serve initializes an empty database, logs the credentials once, and stops cleanly on SIGTERM', async () => {
    // A data folder that does not exist yet: serve creates it.
    const { dir, env } = await freshStore('data');
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { PATH: process.env.PATH, ...env, THREADLINE_HTTP_PORT: String(port), THREADLINE_SMTP_PORT: String(await freePort()) },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const creds = await waitFor(
        () => {
          const line = out.split('\n').find((l) => l.includes('clientSecretOnce'));
          return line ? (JSON.parse(line) as { clientId: string; clientSecretOnce: string }) : undefined;
        },
        20_000,
        'credentials in the log',
      );
      await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined), 20_000, 'readyz');
      const tok = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecretOnce}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(tok.status).toBe(200);
      // The access token itself never reaches the log.
      const { access_token } = (await tok.json()) as { access_token: string };

      // Everything in the data folder is the owner's alone: the folder, the generated key, the
      // database with its WAL files (on SQLite), and captured mail.
      const sent = await fetch(`http://127.0.0.1:${port}/api/v2/conversations/emails/agentless`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          senderType: 'Outbound',
          fromAddress: { email: 'shop@notify.localhost' },
          toAddresses: [{ email: 'customer@example.com' }],
          subject: 'Private',
          textBody: 'Only for you.',
        }),
      });
      expect(sent.status).toBe(202);
      const captured = path.join(dir, 'captured', `${((await sent.json()) as { id: string }).id}.eml`);
      await waitFor(() => (fs.existsSync(captured) ? true : undefined), 20_000, 'the captured message');
      const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
      expect(mode(dir)).toBe('700');
      expect(mode(path.join(dir, 'captured'))).toBe('700');
      const files = ['secret.key', path.relative(dir, captured), ...(env.THREADLINE_DATABASE_URL ? [] : ['threadline.db', 'threadline.db-wal', 'threadline.db-shm'])];
      expect(Object.fromEntries(files.map((f) => [f, mode(path.join(dir, f))]))).toEqual(Object.fromEntries(files.map((f) => [f, '600'])));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('threadline stopped');
      expect(out).not.toContain(access_token);
      expect(out.split('clientSecretOnce').length - 1).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  // The tests below start several processes, each loading the whole CLI: slow on a busy machine.
  it('answers --help for every command and --version, without touching the database', { timeout: 180_000 }, () => {
    const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;
    const v = cli(['--version'], { THREADLINE_DATA_DIR: '/nonexistent/threadline' });
    expect([v.status, v.stdout.trim()]).toEqual([0, version]);
    const top = cli(['--help'], {});
    expect(top.status).toBe(0);
    for (const [command, option] of [
      ['serve', ''],
      ['migrate', ''],
      ['init', '--allow-existing-name'],
      ['clients create', '--permission'],
      ['users create', '--password-stdin'],
    ] as const) {
      expect(top.stdout).toContain(command);
      const res = cli([...command.split(' '), '--help'], { THREADLINE_DATA_DIR: '/nonexistent/threadline' });
      expect(res.status, command).toBe(0);
      expect(res.stdout).toContain(`usage: threadline ${command}`);
      expect(res.stdout).toContain(option);
    }
  });

  it('refuses an unknown option or command with exit code 2 and one line, creating nothing', { timeout: 180_000 }, async () => {
    const { env } = await freshStore();
    for (const args of [['init', '--orgg', 'X'], ['init', '--org'], ['init', 'Acme'], ['clients', 'delete'], ['users', 'create', '--name', 'A'], []]) {
      const res = cli(args, env);
      expect(res.status, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(res.stdout).toBe('');
    }
    expect(cli(['init', '--orgg', 'X'], env).stderr).toContain("'--orgg'");
    // Nothing was created: the default name is still free.
    const init = cli(['init', '--json'], env);
    expect(init.status, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout).orgName).toBe('Default');
  });

  it('init refuses an organization name that exists unless --allow-existing-name', { timeout: 180_000 }, async () => {
    const { env } = await freshStore();
    expect(cli(['init', '--org', 'Acme', '--json'], env).status).toBe(0);
    const again = cli(['init', '--org', 'Acme', '--json'], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/"Acme" exists already.*--allow-existing-name/);
    expect(again.stdout).toBe('');
    const forced = cli(['init', '--org', 'Acme', '--allow-existing-name', '--json'], env);
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).orgName).toBe('Acme');
  });

  it('clients create and users create give credentials that sign in, without curl', { timeout: 180_000 }, async () => {
    onTestFinished(killChildren);
    const { env } = await freshStore();
    const acme = JSON.parse(cli(['init', '--org', 'Acme', '--json'], env).stdout) as { orgId: string };
    cli(['init', '--org', 'Beta', '--json'], env);
    // Two organizations: which one must be said.
    const unnamed = cli(['clients', 'create', '--name', 'crm', '--permission', 'conversation:agentlessEmail:send'], env);
    expect(unnamed.status).toBe(1);
    expect(unnamed.stderr).toContain('--org');
    const client = cli(['clients', 'create', '--org', 'Acme', '--name', 'crm', '--permission', 'conversation:agentlessEmail:send', '--json'], env);
    expect(client.status, client.stderr).toBe(0);
    const c = JSON.parse(client.stdout) as { orgId: string; clientId: string; clientSecret: string };
    expect(c.orgId).toBe(acme.orgId);
    const user = cli(['users', 'create', '--org', acme.orgId, '--name', 'Alex Agent', '--email', 'alex@example.com', '--password-stdin', '--json'], env, 'correct horse battery\n');
    expect(user.status, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout)).not.toHaveProperty('password');
    const generated = JSON.parse(cli(['users', 'create', '--org', 'Acme', '--name', 'Sam', '--email', 'sam@example.com', '--json'], env).stdout) as { password: string };
    expect(generated.password.length).toBeGreaterThanOrEqual(16);

    const svc = await serve(env, 60_000);
    const token = async (body: string) => {
      const res = await fetch(`${svc.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(c.clientId, c.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      return { status: res.status, body: (await res.json()) as { access_token?: string } };
    };
    expect((await token('grant_type=client_credentials')).status).toBe(200);
    for (const [username, password] of [
      ['alex@example.com', 'correct horse battery'],
      ['sam@example.com', generated.password],
    ]) {
      const res = await token(`grant_type=password&username=${encodeURIComponent(username!)}&password=${encodeURIComponent(password!)}`);
      expect(res.status, username).toBe(200);
    }
  });
});
