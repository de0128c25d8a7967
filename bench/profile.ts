import fs from 'node:fs';
import { parseOptions, positiveInt } from './lib.js';

// node dist/bench/profile.js FILE.cpuprofile [--top N] [--from S] [--to S]
//
// Sums a V8 CPU profile (what `--profile DIR` of the benchmarks writes, one file per thread) by
// package and by function, self time and inclusive time, optionally within a window of seconds
// from the profile's start (a benchmark's phases follow each other; `busy per second` shows
// where they are). Samples are wall-clock: time a thread waits inside a native call (an fsync)
// counts as busy, and a machine short of CPU inflates whatever happened to run.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file || file.startsWith('--')) {
  console.error('usage: node dist/bench/profile.js FILE.cpuprofile [--top N] [--from S] [--to S]');
  process.exit(2);
}
const o = parseOptions(rest, ['top', 'from', 'to']);
const top = positiveInt('top', o.top, 30);
const from = Number(o.from ?? 0) * 1e6;
const to = o.to === undefined ? Infinity : Number(o.to) * 1e6;

const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** node_modules package, node: module, or threadline's folder (dist/src/… or src/…). */
function packageOf(url: string): string {
  if (!url) return '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const own = /\/(?:dist\/)?((?:src|bench)\/.*)\/[^/]+$/.exec(url);
  return own ? own[1]! : url.split('/').slice(-2).join('/');
}
const fnOf = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${packageOf(f.url)}${f.url ? `/${f.url.split('/').pop()}:${f.lineNumber + 1}` : ''}`;

const self = new Map<number, number>();
const perSecond = new Map<number, number>();
let clock = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  clock += dt;
  const idle = byId.get(id)!.callFrame.functionName === '(idle)';
  if (!idle) perSecond.set(Math.floor(clock / 1e6), (perSecond.get(Math.floor(clock / 1e6)) ?? 0) + dt);
  if (clock >= from && clock <= to) self.set(id, (self.get(id) ?? 0) + dt);
});

const sums = { selfPackage: new Map<string, number>(), selfFunction: new Map<string, number>(), package: new Map<string, number>(), function: new Map<string, number>() };
const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t);
let total = 0;
let idle = 0;
for (const [id, t] of self) {
  total += t;
  const f = byId.get(id)!.callFrame;
  if (f.functionName === '(idle)') idle += t;
  add(sums.selfPackage, f.url ? packageOf(f.url) : `(native) ${f.functionName}`, t);
  add(sums.selfFunction, fnOf(f), t);
  // Inclusive: each package and function once per sampled stack, however often it recurs in it.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const cf = byId.get(cur)!.callFrame;
    for (const [m, k] of [
      [sums.package, `p ${packageOf(cf.url)}`],
      [sums.function, `f ${fnOf(cf)}`],
    ] as const) {
      if (seen.has(k)) continue;
      seen.add(k);
      add(m, k.slice(2), t);
    }
  }
}

const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(idle / 1e6).toFixed(1)} s idle`);
console.log(`busy per second (%): ${[...perSecond].map(([s, t]) => `${s}:${Math.round(t / 1e4)}`).join(' ')}`);
for (const [title, m] of [
  ['self, by package', sums.selfPackage],
  ['inclusive, by package', sums.package],
  ['self, by function', sums.selfFunction],
  ['inclusive, by function', sums.function],
] as const) {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(t)}  ${k}`);
}
