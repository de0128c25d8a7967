import { cleaningUp, cleanup, cleanupOnSignals } from './children.js';
import { stopCluster } from './database.js';

// How every benchmark runs: options read (a bad one prints the usage and exits 2), a time limit,
// and on any end (success, failure, Ctrl-C) its children, folders and PostgreSQL cluster gone.

export async function runBench<O>(o: {
  name: string;
  usage: string;
  /** The time limit, or how to work it out from the options (a run of several phases takes longer). */
  limitMs: number | ((options: O) => number);
  readOptions(argv: string[]): O;
  main(options: O): Promise<void>;
}): Promise<void> {
  cleanupOnSignals();
  let options: O;
  try {
    options = o.readOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`bench:${o.name}: ${(err as Error).message}\n${o.usage}`);
    process.exit(2);
  }
  const limitMs = typeof o.limitMs === 'number' ? o.limitMs : o.limitMs(options);
  const limit = setTimeout(() => {
    console.error(`bench:${o.name}: aborted, the run took longer than ${limitMs / 60_000} minutes`);
    void cleanup().finally(() => process.exit(1));
  }, limitMs);
  try {
    await o.main(options);
  } catch (err) {
    if (!cleaningUp()) console.error(`bench:${o.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(limit);
    await cleanup();
    // After threadline is gone, so the cluster does not vanish under connected instances.
    await stopCluster();
  }
}
