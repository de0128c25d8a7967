// A budget of bytes in flight: work on a large input waits until the inputs before it are done,
// so memory follows the budget and not the number of inputs arriving at once. One input larger
// than the whole budget still runs, alone.

export interface ByteBudget {
  /** Runs `work` once `bytes` fit in the budget, in arrival order. */
  run<T>(bytes: number, work: () => Promise<T>): Promise<T>;
}

export function byteBudget(limit: number): ByteBudget {
  let used = 0;
  const waiting: Array<{ bytes: number; go(): void }> = [];
  const next = () => {
    while (waiting.length && (used === 0 || used + waiting[0]!.bytes <= limit)) {
      const w = waiting.shift()!;
      used += w.bytes;
      w.go();
    }
  };
  return {
    async run(bytes, work) {
      const need = Math.min(bytes, limit);
      await new Promise<void>((go) => {
        waiting.push({ bytes: need, go });
        next();
      });
      try {
        return await work();
      } finally {
        used -= need;
        next();
      }
    },
  };
}
