import { stopChild } from './children.js';
import { databaseCpuSeconds, databaseKind } from './database.js';
import { cpuSeconds, sendLoad, waitForDeliveries } from './deliveries.js';
import { round } from './lib.js';
import { counts } from './sends.js';
import { startThreadlines } from './threadline.js';

// One threadline phase of bench:send: fresh instances on an empty database take the sends while
// they deliver them into smtp-sink; measured from the first send to the last delivery, and
// stopped before anything else runs. bench:send runs one per database and instance count it
// compares (SQLite, PostgreSQL with one instance, with two).

export interface SendPhase {
  database: string;
  instances: number;
  acceptSeconds: number;
  deliverSeconds: number;
  /** Milliseconds per request, sorted. */
  latencies: number[];
  signed: number;
  /** What smtp-sink counted during the phase. */
  sunk: number;
  /** threadline's CPU (every instance) per message. */
  cpuMsPerMessage: number;
  /** The same over the warm-up messages sent first (a fresh process's, V8 still compiling); null without. */
  coldCpuMsPerMessage: number | null;
  /** The database server's own CPU per message; null where it cannot be read (SQLite is inside threadline). */
  databaseCpuMsPerMessage: number | null;
  /** This process's CPU per request (the load generator's cost). */
  clientMsPerRequest: number;
}

export interface PhaseOptions {
  messages: number;
  concurrency: number;
  /** Messages sent and delivered before the measured ones (the parts are measured warm too). */
  warmup: number;
  profileDir?: string;
}

export async function sendPhase(
  o: PhaseOptions,
  sink: { port: number; count(): number },
  databaseUrl: string | undefined,
  instances: number,
  log: (line: string) => void,
): Promise<SendPhase> {
  const database = databaseKind(databaseUrl);
  const tls = await startThreadlines({ outboundUrl: `smtp://127.0.0.1:${sink.port}`, databaseUrl, profileDir: o.profileDir }, instances);
  log(`threadline ${tls.map((t) => t.url).join(', ')} on ${database}, smtp-sink 127.0.0.1:${sink.port}; sending ${o.messages} messages, ${o.concurrency} at a time`);
  try {
    let coldCpuMsPerMessage: number | null = null;
    if (o.warmup > 0) {
      // V8 compiles the hot code on background threads during the first thousands of messages:
      // CPU a long-running process pays once.
      const coldBefore = await cpuSeconds(tls);
      const warm = sendLoad(tls, { messages: o.warmup, concurrency: o.concurrency });
      const [, warmed] = await Promise.all([warm.load, waitForDeliveries(tls, o.warmup, warm.failed)]);
      coldCpuMsPerMessage = ((warmed.cpuSeconds - coldBefore) * 1000) / o.warmup;
      log(`warmed up: ${o.warmup} messages sent and delivered before the measured ones, ${coldCpuMsPerMessage.toFixed(2)} ms of CPU each (a fresh process)`);
    }
    const start = await counts(tls);
    const sunkBefore = sink.count();
    const cpuBefore = start.cpuSeconds;
    const dbBefore = databaseUrl ? databaseCpuSeconds() : null;
    const clientBefore = process.cpuUsage();
    const { load, failed } = sendLoad(tls, o);
    // Both run at once: deliveries begin while sends are still being accepted.
    const [accepted, delivered] = await Promise.all([load, waitForDeliveries(tls, o.warmup + o.messages, failed)]);
    const dbAfter = databaseUrl ? databaseCpuSeconds() : null;
    const client = process.cpuUsage(clientBefore);
    return {
      database,
      instances,
      acceptSeconds: (accepted.finishedAt - accepted.startedAt) / 1000,
      deliverSeconds: (delivered.at - accepted.startedAt) / 1000,
      latencies: Array.from(accepted.latencies).sort((a, b) => a - b),
      signed: delivered.signed - start.signed,
      sunk: sink.count() - sunkBefore,
      cpuMsPerMessage: ((delivered.cpuSeconds - cpuBefore) * 1000) / o.messages,
      coldCpuMsPerMessage,
      databaseCpuMsPerMessage: dbBefore === null || dbAfter === null ? null : ((dbAfter - dbBefore) * 1000) / o.messages,
      clientMsPerRequest: (client.user + client.system) / 1000 / o.messages,
    };
  } finally {
    // Stopped before the next phase or the peers run, so that each has the machine to itself.
    await Promise.all(tls.map((t) => stopChild(t.child)));
  }
}

/** Rates of a phase per message. */
export const phaseRates = (p: SendPhase, messages: number) => ({
  acceptedPerS: messages / p.acceptSeconds,
  deliveredPerS: messages / p.deliverSeconds,
  signedPerS: p.signed / p.deliverSeconds,
});

/**
 * The table that compares the phases, for an operator sizing a deployment: rates, threadline's
 * CPU and the database server's per message, and threadline's CPU against the first phase's
 * (SQLite's, when it ran).
 */
export function phaseTable(phases: SendPhase[], messages: number): { text: string; json: object[] } {
  const base = phases[0]!;
  const rows = phases.map((p) => {
    const r = phaseRates(p, messages);
    return {
      database: p.database,
      instances: p.instances,
      accepted_per_s: round(r.acceptedPerS),
      delivered_per_s: round(r.deliveredPerS),
      cpu_ms_per_message: round(p.cpuMsPerMessage, 3),
      database_cpu_ms_per_message: p.databaseCpuMsPerMessage === null ? null : round(p.databaseCpuMsPerMessage, 3),
      cpu_vs_first: round(p.cpuMsPerMessage / base.cpuMsPerMessage, 2),
    };
  });
  const head = `database  instances  accepted/s  delivered/s  threadline CPU/msg  database CPU/msg  threadline CPU ÷ ${base.database}'s`;
  const lines = rows.map(
    (r) =>
      `${r.database.padEnd(9)} ${String(r.instances).padStart(9)}  ${String(r.accepted_per_s).padStart(10)}  ${String(r.delivered_per_s).padStart(11)}  ` +
      `${`${r.cpu_ms_per_message.toFixed(2)} ms`.padStart(18)}  ${(r.database_cpu_ms_per_message === null ? 'in threadline' : `${r.database_cpu_ms_per_message.toFixed(2)} ms`).padStart(16)}  ${r.cpu_vs_first.toFixed(2).padStart(6)}`,
  );
  return { text: [head, ...lines].join('\n'), json: rows };
}
