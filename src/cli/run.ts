import { systemClock } from '../clock.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { createServices, type Services } from '../deps.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { loadSecret } from '../secret.js';
import { initOrganization } from '../setup/init.js';
import { createClientFor, createUserFor, resolveOrganization } from '../setup/operator.js';
import type { CommandName, Parsed, Values } from './commands.js';
import { sendCsv, stderrProgress } from './send-csv.js';

// What each command does once its arguments are read. Side effects (files, the database, the
// console) happen only when runCli is called; main.ts hands in `serve`; cli/entry.ts
// answers help, the version and usage errors before any of this is loaded.

export interface Host {
  serve(config: Config, log: Logger): Promise<number>;
}

async function withDatabase<T>(config: Config, fn: (services: Services) => Promise<T>): Promise<T> {
  const opened = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(opened.db);
    const secret = loadSecret(config.secret, config.dataDir);
    return await fn(createServices({ db: opened.db, dialect: opened.dialect, clock: systemClock, config, secret }));
  } finally {
    await opened.close();
  }
}

/** Prints a result as JSON or as aligned "label  value" lines. */
function print(json: boolean, result: object, lines: Array<[string, string]>) {
  if (json) console.log(JSON.stringify(result));
  else console.log(lines.map(([k, v]) => `${k.padEnd(15)}${v}`).join('\n'));
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let data = '';
  for await (const chunk of stream) {
    data += String(chunk);
    if (data.includes('\n') || data.length > 4096) break;
  }
  return data.split(/\r?\n/)[0]!;
}

async function runCommand(command: CommandName, v: Values, config: Config, log: Logger, host: Host): Promise<number> {
  const json = v.json === true;
  switch (command) {
    case 'serve':
      return host.serve(config, log);
    case 'migrate': {
      const opened = openDatabase(config.databaseUrl);
      try {
        const applied = await migrateToLatest(opened.db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
      } finally {
        await opened.close();
      }
      return 0;
    }
    case 'init': {
      const orgName = (v.org as string | undefined) ?? 'Default';
      const r = await withDatabase(config, (s) =>
        initOrganization(s, { orgName, inboundDomain: config.inboundDomain, senderDomain: config.senderDomain, allowExistingName: v['allow-existing-name'] === true }),
      );
      print(json, r, [
        ['organization', `${r.orgName} (${r.orgId})`],
        ['client id', r.clientId],
        ['client secret', `${r.clientSecret}   (shown once; store it now)`],
        ['queue', `Default (${r.queueId})`],
        ['inbound domain', `${r.inboundDomain}   (replies arrive at reply+TOKEN@${r.inboundDomain})`],
        ['sender domain', r.senderDomain],
      ]);
      return 0;
    }
    case 'clients create': {
      const r = await withDatabase(config, (s) => createClientFor(s, { name: v.name as string, permissions: v.permission as string[], ...(v.org ? { org: v.org as string } : {}) }));
      print(json, r, [
        ['organization', `${r.orgName} (${r.orgId})`],
        ['client id', r.clientId],
        ['client secret', `${r.clientSecret}   (shown once; store it now)`],
        ['permissions', r.permissions.join(' ')],
      ]);
      return 0;
    }
    case 'users create': {
      const password = v['password-stdin'] === true ? await readFirstLine(process.stdin) : undefined;
      const r = await withDatabase(config, (s) =>
        createUserFor(s, {
          name: v.name as string,
          email: v.email as string,
          ...(password !== undefined ? { password } : {}),
          ...(v.permission ? { permissions: v.permission as string[] } : {}),
          ...(v.org ? { org: v.org as string } : {}),
        }),
      );
      print(json, r, [
        ['organization', `${r.orgName} (${r.orgId})`],
        ['user id', r.userId],
        ['email', r.email],
        ...(r.password ? [['password', `${r.password}   (shown once; store it now)`] as [string, string]] : []),
        ['permissions', r.permissions.join(' ')],
      ]);
      return 0;
    }
    case 'send': {
      const file = v.contacts as string;
      const results = (v.results as string | undefined) ?? `${file.replace(/\.csv$/i, '')}.results.csv`;
      const sum = await withDatabase(config, async (s) =>
        sendCsv({
          services: s,
          orgId: (await resolveOrganization(s, v.org as string | undefined)).id,
          configurationId: v.configuration as string,
          file,
          results,
          progress: stderrProgress(process.stderr),
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        }),
      );
      console.error(
        `${sum.rows} rows: ${sum.queued} queued, ${sum.skipped} skipped, ${sum.invalid} bad rows${sum.replayedBatches ? ` (${sum.replayedBatches} batches already sent before, not sent again)` : ''}; results in ${results}`,
      );
      // Bad rows do not stop the run, but a script should notice them.
      return sum.invalid > 0 ? 1 : 0;
    }
  }
}

/** The CLI. Returns the exit code: 0 done, 1 failed, 2 a usage or configuration error. */
export async function runCli(parsed: Extract<Parsed, { kind: 'run' }>, env: NodeJS.ProcessEnv, host: Host): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`threadline: invalid configuration: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  try {
    return await runCommand(parsed.command, parsed.values, config, log, host);
  } catch (err) {
    // A refusal the operator can act on is one line, not a stack.
    if (err instanceof AppError && err.status < 500) {
      console.error(`threadline ${parsed.command}: ${err.message}`);
      return 1;
    }
    log.fatal({ err }, `threadline ${parsed.command} failed`);
    return 1;
  }
}
