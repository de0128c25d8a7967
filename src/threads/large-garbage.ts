import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Every copy of a large message (the bytes read, the decoded text, the parsed strings, the
// bodies read back from the database, the rendered message) is allocated straight into V8's old
// generation, and V8 collects that only once it has grown by a multiple of what survived the last
// collection: after a burst of large messages, each heap (the main thread's and every worker
// thread's) keeps hundreds of MB of dead copies resident. So whoever finishes with a large input
// reports its size here, and once LARGE_GARBAGE_BYTES have been reported in this thread a full
// collection is asked for. The trade: a collection of the thread's live heap (tens of
// milliseconds of its CPU, run as a task of its own rather than inside the caller) every few
// large messages, against resident memory that would otherwise follow the size of the burst.
// Small messages are not counted, so they never pay for it.

/** Inputs finished between two collections: two of the largest messages, each held several times. */
export const LARGE_GARBAGE_BYTES = 6 * 1024 * 1024;
/** Smaller inputs are not counted: their copies die young, in the young generation. */
const SMALL_INPUT_BYTES = 256 * 1024;

type Collect = (options: { type: 'major'; execution: 'async' }) => Promise<void> | undefined;

let collect: Collect | null | undefined;
let reported = 0;

/**
 * V8 offers a collection only to code started with --expose-gc, a flag an operator would have
 * to pass to node; set at run time, it applies to contexts made after it, such as this one.
 * The flag stays set: a context without it would have no collection to ask for.
 */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    collect = typeof fn === 'function' ? (fn as Collect) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Reports that a large input of `bytes` was handled and its copies are now garbage. */
export function leftGarbage(bytes: number): void {
  if (bytes <= SMALL_INPUT_BYTES) return;
  reported += bytes;
  if (reported < LARGE_GARBAGE_BYTES) return;
  reported = 0;
  const gc = collector();
  if (!gc) return;
  // A collection that fails leaves the heap as it was: nothing depends on it.
  void Promise.resolve(gc({ type: 'major', execution: 'async' })).catch(() => {});
}
