import os from 'node:os';
import { GREETING_DELAY_MS } from '../src/config.js';
import type { countsFor } from './inbound-lib.js';
import type { HarakaRuns, ModeResult } from './inbound-runs.js';
import { jsonLine, round } from './lib.js';
import type { LookupResult } from './lookup.js';

// What bench:inbound prints for replies: the ratios first (against Haraka, the peer, and the
// parts alone), then the rates and counts behind them, then the JSON line.

type Counts = Awaited<ReturnType<typeof countsFor>>;

export interface InboundReport {
  o: { messages: number; sessions: number; instances: number; skipLookup: boolean };
  size: number;
  conversations: number;
  database: string;
  /** The parts' sum inside threadline, µs per reply. */
  partsUs: number;
  /** Per connection, reused, and per connection with the greeting at once (null: not run). */
  a: ModeResult;
  b: ModeResult;
  c: ModeResult | null;
  dbA: Counts;
  dbB: Counts;
  /** smtp-source → smtp-sink seconds, per connection and reused. */
  peerA: number;
  peerB: number;
  sunk: number;
  haraka: HarakaRuns;
  lookup: LookupResult[];
  load: string;
}

export function report(r: InboundReport): void {
  const { o } = r;
  const rate = (s: number) => o.messages / s;
  // Against Haraka's best run of each mode: the ratio a goal has to meet holds for every run.
  const harakaA = rate(Math.min(...r.haraka.perConnection));
  const harakaB = rate(Math.min(...r.haraka.reused));
  const range = (seconds: number[]) => {
    const rates = seconds.map(rate);
    return `${round(Math.min(...rates))}–${round(Math.max(...rates))}/s`;
  };
  const ratios = {
    per_connection_vs_haraka: round(rate(r.a.seconds) / harakaA, 2),
    reused_vs_haraka: round(rate(r.b.seconds) / harakaB, 2),
    per_connection_greeting_0_vs_haraka: r.c ? round(rate(r.c.seconds) / harakaA, 2) : null,
    cpu_vs_parts: round((r.b.cpuMsPerMessage * 1000) / r.partsUs, 2),
  };
  const verdict = (met: boolean) => (met ? 'met' : 'not met');
  const mode = (m: ModeResult, d: Counts, peerSeconds: number, harakaRate: number) => ({
    stored_per_s: round(rate(m.seconds)),
    threaded: d.threaded,
    queued: d.workItemsCreated + d.workItemsJoined,
    work_items_created: d.workItemsCreated,
    cpu_ms_per_message: round(m.cpuMsPerMessage, 2),
    main_thread_cpu_ms_per_message: round(m.mainThreadCpuMsPerMessage, 2),
    database_cpu_ms_per_message: m.databaseCpuMsPerMessage === null ? null : round(m.databaseCpuMsPerMessage, 2),
    haraka_per_s: round(harakaRate),
    peer_per_s: round(rate(peerSeconds)),
    ratio: round(rate(m.seconds) / rate(peerSeconds), 3),
  });
  const line = (name: string, m: ModeResult, d: Counts, peerSeconds: number) =>
    `${name.padEnd(15)} stored ${o.messages} in ${m.seconds.toFixed(2)} s = ${round(rate(m.seconds))}/s; threaded ${d.threaded} (${Object.entries(d.signals)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); ` +
    `queued ${d.workItemsCreated + d.workItemsJoined} (${d.workItemsCreated} new work items, ${d.workItemsJoined} joined; stats waiting +${m.waitingAdded}); ` +
    `threadline CPU ${m.cpuMsPerMessage.toFixed(2)} ms/message (main thread ${m.mainThreadCpuMsPerMessage.toFixed(2)}, other threads ${(m.cpuMsPerMessage - m.mainThreadCpuMsPerMessage).toFixed(2)})${dbCpu(m)}\n${''.padEnd(15)} smtp-source → smtp-sink ${peerSeconds.toFixed(2)} s = ${round(rate(peerSeconds))}/s; ratio ${(rate(m.seconds) / rate(peerSeconds)).toFixed(3)}`;
  const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const h = `Haraka ${r.haraka.version}`;
  console.log(`
ratios   per connection ÷ ${h}                ${ratios.per_connection_vs_haraka.toFixed(2)}   (${round(rate(r.a.seconds))} ÷ ${round(harakaA)}, greeting delay ${GREETING_DELAY_MS} ms; goal ≥ 1.0: ${verdict(ratios.per_connection_vs_haraka >= 1)})
         reused ÷ ${h}                        ${ratios.reused_vs_haraka.toFixed(2)}   (${round(rate(r.b.seconds))} ÷ ${round(harakaB)}; goal ≥ 1.0: ${verdict(ratios.reused_vs_haraka >= 1)})
         per connection, greeting delay 0 ÷ ${h} ${ratios.per_connection_greeting_0_vs_haraka?.toFixed(2) ?? 'not run'}${r.c ? `   (${round(rate(r.c.seconds))} ÷ ${round(harakaA)})` : ''}
         CPU per reply (reused) ÷ parts' sum              ${ratios.cpu_vs_parts.toFixed(2)}   (${r.b.cpuMsPerMessage.toFixed(2)} ms ÷ ${(r.partsUs / 1000).toFixed(2)} ms; goal ≤ 1.3: ${verdict(ratios.cpu_vs_parts <= 1.3)})
${h}, ${PEER_RUNS_TEXT(r.haraka)}: per connection ${range(r.haraka.perConnection)}, reused ${range(r.haraka.reused)} (recipient check, queue/discard: it stores nothing)

${line('per-connection', r.a, r.dbA, r.peerA)}
${line('reused (-d)', r.b, r.dbB, r.peerB)}
${r.c ? `${'greeting 0'.padEnd(15)} per connection into a threadline greeting at once: ${round(rate(r.c.seconds))}/s; threadline CPU ${r.c.cpuMsPerMessage.toFixed(2)} ms/message\n` : ''}smtp-sink counted ${r.sunk} of ${2 * o.messages}; database ${r.database}${o.instances > 1 ? `, ${o.instances} instances` : ''}${o.skipLookup ? '; lookup skipped' : ''}; load average now ${r.load} on ${os.availableParallelism()} cores
${r.lookup.length ? `lookup p99 ≤ 2 ms: ${verdict(r.lookup.every((l) => l.p99 <= 2))}\n` : ''}`);
  console.log(
    jsonLine({
      bench: 'inbound',
      mode: 'reply',
      messages: o.messages,
      sessions: o.sessions,
      bytes: r.size,
      conversations: r.conversations,
      ratios,
      parts_us: round(r.partsUs),
      greeting_delay_ms: GREETING_DELAY_MS,
      per_connection: mode(r.a, r.dbA, r.peerA, harakaA),
      reused: mode(r.b, r.dbB, r.peerB, harakaB),
      per_connection_greeting_0: r.c ? { stored_per_s: round(rate(r.c.seconds)), cpu_ms_per_message: round(r.c.cpuMsPerMessage, 2) } : null,
      haraka: { version: r.haraka.version, per_connection_per_s: r.haraka.perConnection.map((s) => round(rate(s))), reused_per_s: r.haraka.reused.map((s) => round(rate(s))) },
      peer: 'smtp-source→smtp-sink',
      lookup: Object.fromEntries(r.lookup.map((l) => [label(l.size), { p50_ms: round(l.p50, 3), p99_ms: round(l.p99, 3) }])),
      database: r.database,
      instances: o.instances,
      load_1m: Number(r.load),
    }),
  );
}

/** The database server's own CPU, when bench:inbound started it (--postgres). */
const dbCpu = (m: ModeResult) => (m.databaseCpuMsPerMessage === null ? '' : `, the database server's ${m.databaseCpuMsPerMessage.toFixed(2)} ms/message`);

const PEER_RUNS_TEXT = (h: HarakaRuns) => `${h.reused.length} run${h.reused.length === 1 ? '' : 's'} of each mode`;
