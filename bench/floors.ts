import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trackDir } from './children.js';
import { measureParts, type Part, partsSum } from './floors-parts.js';
import { parseOptions, positiveInt } from './lib.js';
import { runBench } from './run.js';

// npm run bench:floors [-- --messages N]
//
// What the parts threadline is made of cost on this machine, each alone and measured the way
// bench:send and bench:inbound use it (bench/floors-parts.ts): CPU per message, summed per path
// and set against the goal. Two cores give 2,000 µs of CPU per message at 1,000 messages a
// second; what the parts leave of that is all that threadline's own code (routing, validation,
// Kysely, the batcher, threads, composing, threading decisions) may use, on a machine whose
// every cycle is used.

const CORES = os.availableParallelism();

async function main(N: number): Promise<void> {
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-floors-')));
  console.log(`floors: ${N} messages per part, ${CORES} cores; CPU per message of each part alone\n`);
  const rows: Part[] = await measureParts({
    n: N,
    dir,
    paths: ['send', 'inbound'],
    log: (r) => console.log(`  ${r.path.padEnd(8)} ${r.label.padEnd(62)} ${r.us.toFixed(0).padStart(5)} µs`),
  });

  const budget = (CORES * 1e6) / 1000;
  console.log('');
  for (const p of ['send', 'inbound'] as const) {
    const mine = rows.filter((r) => r.path === p && !r.label.startsWith('node:http'));
    const sum = mine.reduce((s, r) => s + r.us, 0);
    console.log(`${p.padEnd(8)} parts (hono, not bare node:http) ${sum.toFixed(0)} µs a message: at most ${Math.floor((CORES * 1e6) / sum)}/s on ${CORES} cores with nothing else running;`);
    console.log(`${''.padEnd(8)} at the goal of 1,000/s there are ${budget.toFixed(0)} µs, so ${(budget - sum).toFixed(0)} µs are left for threadline's own code`);
    console.log(`${''.padEnd(8)} of them inside threadline's process (no load generator, sink or source): ${partsSum(rows, p).toFixed(0)} µs a message`);
  }
  console.log(JSON.stringify({ bench: 'floors', messages: N, cores: CORES, parts: rows.map((r) => ({ path: r.path, part: r.label, us: Math.round(r.us) })) }));
}

await runBench({
  name: 'floors',
  usage: 'options: --messages N (20000)',
  limitMs: 30 * 60_000,
  readOptions: (argv) => positiveInt('messages', parseOptions(argv, ['messages']).messages, 20000),
  main,
});
