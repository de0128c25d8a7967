// Small pure helpers shared by the benchmarks.

/** The q-th percentile (0..100) of already sorted values, nearest-rank; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((q / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Rounds for a human and for the JSON line: rates to whole numbers, times to 0.01 ms. */
export const round = (n: number, digits = 0) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Reads `--name value` options; unknown flags are an error so typos do not pass silently. */
export function parseOptions<K extends string>(argv: readonly string[], names: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flag.replace(/^--/, '') as K;
    if (!flag.startsWith('--') || !names.includes(name)) throw new Error(`unknown option ${arg}; expected ${names.map((n) => `--${n}`).join(', ')}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    out[name] = value;
  }
  return out;
}

export function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got ${text})`);
  return n;
}

/** Sums a Prometheus counter's samples whose labels include every given pair. */
export function counterValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labelText = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) total += Number(m[3]);
  }
  return total;
}

/** smtp-sink -c rewrites one status line with `\r`; the last `mesg=N` is the count so far. */
export function sinkMessageCount(output: string): number {
  const all = [...output.matchAll(/mesg=(\d+)/g)];
  return all.length ? Number(all[all.length - 1]![1]) : 0;
}

/** About `bytes` of plain text in lines of 72 characters, like a real notification body. */
export function textOfSize(bytes: number): string {
  const line = 'The quick brown fox jumps over the lazy dog; your order is on its way.\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** The one machine-readable line every benchmark ends with (CONTRACT.md, "Benchmarks"). */
export const jsonLine = (result: Record<string, unknown>) => JSON.stringify(result);
