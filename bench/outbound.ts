import { startSink } from './children.js';
import { benchDatabaseUrl, checkDatabaseOptions, DATABASE_USAGE, databaseKind } from './database.js';
import { jsonLine, parseOptions, positiveInt, round, textOfSize } from './lib.js';
import { runCli, writeCsv } from './outbound-csv.js';
import { contact, createConfiguration } from './outbound-setup.js';
import { MB } from './proc.js';
import { runBench } from './run.js';
import { counts, loadAndDeliver, measureSends, type Phase, rates, waitForDeliveries } from './sends.js';
import { startThreadlines, type ThreadlineUnderTest } from './threadline.js';

// npm run bench:outbound [-- --messages N] [--concurrency C] [--contacts N] [--lists C]
//                        [--csv ROWS] [--database-url URL | --postgres] [--instances N] [--profile DIR]
//   --messages, --concurrency   bench:send's phase: N single agentless sends, C at a time
//   --contacts, --lists         the invocation phase: N contacts in lists of 100, C lists at a time
//   --csv ROWS                  instead: a CSV of ROWS contacts through `threadline send` (the CLI)
//   --profile DIR               threadline (and the CLI) under `node --cpu-prof`, profiles in DIR
//
// One threadline, delivering into Postfix's smtp-sink with the sender domain's DKIM key: first
// bench:send's single sends, then an outbound configuration (a localized template with
// placeholders) invoked over HTTP with 100-contact lists. One request carries 100 contacts, so
// the goal is as many contacts accepted a second as single sends.

const RUN_LIMIT_MS = 5 * 60_000;
const LIST = 100;
const CSV_LIMIT_S = 120;
const DELIVERY_MARGIN_MS = 15_000;
const STARTED = performance.now();

interface Options {
  messages: number;
  concurrency: number;
  contacts: number;
  lists: number;
  csv?: number;
  databaseUrl?: string;
  postgres: boolean;
  instances: number;
  profileDir?: string;
}

function readOptions(argv: string[]): Options {
  const postgres = argv.includes('--postgres');
  const o = parseOptions(
    argv.filter((a) => a !== '--postgres'),
    ['messages', 'concurrency', 'contacts', 'lists', 'csv', 'database-url', 'instances', 'profile'],
  );
  const contacts = positiveInt('contacts', o.contacts, 20_000);
  if (contacts % LIST !== 0) throw new Error(`--contacts must be a multiple of ${LIST} (got ${contacts})`);
  return {
    messages: positiveInt('messages', o.messages, 20_000),
    concurrency: positiveInt('concurrency', o.concurrency, 20),
    contacts,
    lists: positiveInt('lists', o.lists, 4),
    ...(o.csv === undefined ? {} : { csv: positiveInt('csv', o.csv, 0) }),
    ...checkDatabaseOptions({ databaseUrl: o['database-url'], postgres, instances: positiveInt('instances', o.instances, 1) }),
    profileDir: o.profile,
  };
}

const invokePath = (id: string) => `/api/v2/outbound/configurations/${id}/invoke`;

/** One list, checked: every contact queued (a skipped one would never be delivered), and its deliveries awaited. */
async function warmUp(tls: ThreadlineUnderTest[], configurationId: string, list: unknown[]): Promise<void> {
  const tl = tls[0]!;
  const base = await counts(tls);
  const res = await fetch(`${tl.url}${invokePath(configurationId)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contactList: list }),
  });
  const body = (await res.json()) as { results?: Array<{ status: string; reason?: string }> };
  const notQueued = body.results?.filter((r) => r.status !== 'queued') ?? [];
  if (res.status !== 202 || notQueued.length > 0)
    throw new Error(`the first invocation answered ${res.status}, ${notQueued.length} contacts not queued: ${JSON.stringify(body).slice(0, 500)}`);
  await waitForDeliveries(tls, base, list.length, () => false);
}

const line = (label: string, p: Phase, unit: string, requests: string) => {
  const r = rates(p);
  return `${label.padEnd(10)} ${p.messages} ${unit} accepted in ${p.acceptSeconds.toFixed(2)} s   ${round(r.acceptedPerS)} /s   ${requests} latency p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms
${''.padEnd(10)} delivered in ${p.deliverSeconds.toFixed(2)} s from the first request   ${round(r.deliveredPerS)} /s   ${p.signed} DKIM-signed (${round(r.signedPerS)} signed /s)
${''.padEnd(10)} threadline ${r.cpuMsPerMessage.toFixed(2)} ms of CPU per message (${r.cpuPercent.toFixed(0)}% of one core); this load generator ${p.clientMsPerRequest.toFixed(2)} ms per request`;
};

async function invokeRun(tls: ThreadlineUnderTest[], o: Options): Promise<void> {
  const tl = tls[0]!;
  console.log(
    `threadline ${tls.map((t) => t.url).join(', ')}; ${o.messages} single sends ${o.concurrency} at a time, then ${o.contacts} contacts in lists of ${LIST}, ${o.lists} lists at a time`,
  );
  const send = await measureSends(tls, { messages: o.messages, concurrency: o.concurrency, text: textOfSize(2048) });
  const configurationId = await createConfiguration(tl);
  const list = Array.from({ length: LIST }, (_, i) => contact(i));
  await warmUp(tls, configurationId, list);
  const invoke = await loadAndDeliver(
    tls,
    {
      path: invokePath(configurationId),
      headers: { authorization: `Bearer ${tl.token}`, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ contactList: list })),
      requests: o.contacts / LIST,
      concurrency: o.lists,
      expectStatus: 202,
    },
    o.contacts,
  );
  const s = rates(send);
  const v = rates(invoke);
  const ratio = v.acceptedPerS / s.acceptedPerS;
  console.log(`
${line('send', send, 'messages', 'per send')}
${line('invoke', invoke, 'contacts', `per list of ${LIST}`)}
ratio      contacts accepted / single sends accepted = ${ratio.toFixed(2)}; delivered ${(v.deliveredPerS / s.deliveredPerS).toFixed(2)}   database ${databaseKind(o.databaseUrl)}
goal       contacts accepted ≥ single sends accepted: ${ratio >= 1 ? 'met' : 'not met'}
`);
  console.log(
    jsonLine({
      bench: 'outbound',
      messages: o.messages,
      concurrency: o.concurrency,
      contacts: o.contacts,
      list_size: LIST,
      list_concurrency: o.lists,
      database: databaseKind(o.databaseUrl),
      instances: o.instances,
      send_accepted_per_s: round(s.acceptedPerS),
      send_delivered_per_s: round(s.deliveredPerS),
      contacts_accepted_per_s: round(v.acceptedPerS),
      contacts_delivered_per_s: round(v.deliveredPerS),
      signed_delivered_per_s: round(v.signedPerS),
      accept_p50_ms: round(v.p50, 2),
      accept_p99_ms: round(v.p99, 2),
      ratio: round(ratio, 3),
    }),
  );
}

async function csvRun(tls: ThreadlineUnderTest[], rows: number, o: Options): Promise<void> {
  const tl = tls[0]!;
  const configurationId = await createConfiguration(tl);
  const file = writeCsv(rows);
  console.log(`threadline ${tl.url}; threadline send --contacts ${file} (${rows} rows) beside it`);
  const base = await counts(tls);
  const t0 = performance.now();
  const run = await runCli(tl, configurationId, file, rows, o.profileDir);
  if (!new RegExp(`^${rows} rows: ${rows} queued`).test(run.summary)) throw new Error(`threadline send did not queue every row: ${run.summary}`);
  const mb = (n: number) => round(n / MB, 1);
  const perS = rows / run.seconds;
  const growth = run.at[2]!.cli - run.at[0]!.cli;
  // Printed before the wait for the deliveries, which run on long after the CLI has queued the last row.
  console.log(`
cli        ${rows} rows in ${run.seconds.toFixed(2)} s (process start to exit)   ${round(perS)} rows/s   ${run.summary}
memory     resident MB at ${run.at.map((a) => `${a.percent} % (${a.rows} rows): CLI ${mb(a.cli)}, threadline ${mb(a.server)}`).join('; ')}
cpu        CLI ${((1000 * run.cliCpu) / rows).toFixed(3)} ms per row (${run.cliCpu.toFixed(1)} s), threadline ${((1000 * run.serverCpu) / rows).toFixed(3)} ms per row meanwhile (delivering)
peak       CLI ${mb(run.cliPeak)} MB, threadline ${mb(run.serverPeak)} MB; CLI growth from 10 % to 100 %: ${mb(growth)} MB
goal       ${rows} rows in under ${CSV_LIMIT_S} s: ${run.seconds < CSV_LIMIT_S ? 'met' : 'not met'} (ratio = ${CSV_LIMIT_S} s / the time taken)`);
  // Within the run's time limit: on a busy machine the deliveries may not all fit; the rate so far stands.
  const delivered = await waitForDeliveries(tls, base, rows, () => false, STARTED + RUN_LIMIT_MS - DELIVERY_MARGIN_MS);
  const deliverSeconds = (delivered.at - t0) / 1000;
  const sent = delivered.sent - base.sent;
  console.log(
    `delivered  ${sent} of ${rows} in ${deliverSeconds.toFixed(2)} s from the CLI's start${sent < rows ? " (the run's time ran out)" : ''}   ${round(sent / deliverSeconds)} /s   ${delivered.signed - base.signed} DKIM-signed\n`,
  );
  console.log(
    jsonLine({
      bench: 'outbound',
      mode: 'csv',
      rows,
      database: databaseKind(o.databaseUrl),
      seconds: round(run.seconds, 2),
      rows_per_s: round(perS),
      delivered: sent,
      delivered_per_s: round(sent / deliverSeconds),
      ...Object.fromEntries(
        run.at.flatMap((a) => [
          [`cli_rss_mb_${a.percent}`, mb(a.cli)],
          [`server_rss_mb_${a.percent}`, mb(a.server)],
        ]),
      ),
      cli_cpu_ms_per_row: round((1000 * run.cliCpu) / rows, 3),
      cli_peak_rss_mb: mb(run.cliPeak),
      server_peak_rss_mb: mb(run.serverPeak),
      ratio: round(CSV_LIMIT_S / run.seconds, 3),
    }),
  );
}

async function main(o: Options): Promise<void> {
  const databaseUrl = await benchDatabaseUrl(o, 'bench_outbound');
  const sink = await startSink();
  const tls = await startThreadlines({ outboundUrl: `smtp://127.0.0.1:${sink.port}`, databaseUrl, profileDir: o.profileDir }, o.instances);
  if (o.csv !== undefined) await csvRun(tls, o.csv, { ...o, databaseUrl });
  else await invokeRun(tls, { ...o, databaseUrl });
}

await runBench({
  name: 'outbound',
  usage: `options: --messages N --concurrency C --contacts N --lists C --csv ROWS --profile DIR\n${DATABASE_USAGE}`,
  limitMs: RUN_LIMIT_MS,
  readOptions,
  main,
});
