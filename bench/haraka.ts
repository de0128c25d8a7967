import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/ports.js';
import { type Child, spawnChild, waitListening } from './children.js';

// Haraka from npm, the peer bench:inbound sets threadline against: one process that checks the
// recipient's domain (rcpt_to.in_host_list) and discards what it accepts (queue/discard), so it
// stores nothing: a generous peer. Installed on first use into a cache folder outside the
// project, never by the tests.

export const HARAKA_VERSION = '3.3.4';
const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'threadline-bench', `haraka-${HARAKA_VERSION}`);
const BIN = path.join(CACHE, 'node_modules', 'Haraka', 'bin', 'haraka');

/** The path of Haraka's program, installed with npm into the cache folder when not there yet. */
export async function installHaraka(log: (line: string) => void): Promise<string> {
  if (fs.existsSync(BIN)) return BIN;
  fs.mkdirSync(CACHE, { recursive: true });
  const args = ['install', '--prefix', CACHE, '--omit=optional', '--no-audit', '--no-fund', `Haraka@${HARAKA_VERSION}`];
  log(`Haraka ${HARAKA_VERSION} is not in ${CACHE} yet: npm ${args.join(' ')}`);
  // npm's own output goes to this terminal: what it fetches and builds is visible.
  const code = await new Promise<number | null>((resolve, reject) => {
    const npm = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    npm.once('error', reject);
    npm.once('exit', resolve);
  });
  if (code !== 0 || !fs.existsSync(BIN)) throw new Error(`npm install of Haraka ${HARAKA_VERSION} failed (exit ${code}); run the command above by hand to see why`);
  return BIN;
}

/**
 * Haraka on a free loopback port, configured in `dir`: accepts any recipient at `domain`,
 * refuses others, discards every message it accepts. Logs warnings and worse only.
 */
export async function startHaraka(o: { bin: string; dir: string; domain: string }): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const config = path.join(o.dir, 'config');
  // Haraka's own defaults first (it reads no file it does not find in this folder), then ours.
  fs.cpSync(path.join(path.dirname(o.bin), '..', 'config'), config, { recursive: true });
  const write = (name: string, text: string) => fs.writeFileSync(path.join(o.dir, name), text);
  write('config/smtp.ini', `listen=127.0.0.1:${port}\n`);
  write('config/plugins', 'skip_rdns\nrcpt_to.in_host_list\nqueue/discard\n');
  write('config/host_list', `${o.domain}\n`);
  write('config/log.ini', '[main]\nlevel=warn\n');
  write('config/me', 'haraka.example.net\n');
  // threadline looks up no client's name either (THREADLINE_SMTP_REVERSE_LOOKUP is off by default).
  fs.mkdirSync(path.join(o.dir, 'plugins'), { recursive: true });
  write('plugins/skip_rdns.js', "exports.hook_lookup_rdns = (next) => next(OK, 'localhost');\n");
  // queue/discard drops a message only when told to: this is the telling.
  const child = spawnChild(process.execPath, [o.bin, '-c', o.dir], { env: { ...process.env, YES_REALLY_DO_DISCARD: '1' } });
  await waitListening(port, child, 'Haraka');
  return { child, port };
}
