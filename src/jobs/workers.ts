import type { Logger } from '../log.js';

/** Background work: started once, and stopped after whatever it is doing has finished. */
export interface Worker {
  start(): void;
  /** Stops taking new work and resolves once the work in progress has finished or been given back. */
  stop(): Promise<void>;
}

/**
 * Every background worker of an instance, in one place: main.ts registers them, starts them
 * after the listeners, and stops them (in the order registered) after the listeners closed and
 * before the database does.
 */
export class Workers {
  private readonly list: Array<{ name: string; worker: Worker }> = [];
  private started = false;

  constructor(private readonly log: Logger) {}

  add(name: string, worker: Worker): this {
    if (this.started) throw new Error(`worker ${name} registered after start`);
    this.list.push({ name, worker });
    return this;
  }

  start(): void {
    this.started = true;
    for (const { worker } of this.list) worker.start();
  }

  /** One at a time: a worker's last writes may go through the batcher the next one also uses. */
  async stop(): Promise<void> {
    for (const { name, worker } of this.list) {
      try {
        await worker.stop();
      } catch (err) {
        this.log.error({ err, worker: name }, 'stopping a worker failed');
      }
    }
  }
}
