import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { AcdService } from './acd.service.js';

/**
 * Puts work items whose lease ran out back in their queue. It polls on a real-time timer but
 * judges expiry by the service's clock, so a test moves a manual clock and waits for a poll.
 */
export class LeaseExpiryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly expired: Counter;

  constructor(private readonly o: { acd: AcdService; log: Logger; registry: Registry; pollMs?: number }) {
    this.expired = new Counter({
      name: 'threadline_acd_lease_expiries_total',
      help: 'Work-item leases that ran out, putting the item back in its queue.',
      registers: [o.registry],
    });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.pollMs ?? 1_000);
    this.timer.unref();
  }

  /** One pass, unless one is already running. */
  tick(): Promise<void> {
    this.running ??= this.o.acd
      .expireLeases()
      .then((n) => {
        if (n > 0) {
          this.expired.inc(n);
          this.o.log.info({ expired: n }, 'work-item leases expired; items back in their queues');
        }
      })
      .catch((err: unknown) => this.o.log.error({ err }, 'lease expiry pass failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Stops polling and waits for a pass in progress, so the database can close after. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
