import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { createServices } from '../src/deps.js';
import { initOrganization } from '../src/setup/init.js';
import { trackDir } from './children.js';
import { percentile } from './lib.js';
import { postgresStore, type Store, scratchPostgres, sqliteStore } from './lookup-fill.js';

// The thread lookup on its own: services.threading.decide() in this process, for a reply whose
// In-Reply-To names a random stored message, as the store grows (filled by lookup-fill.ts).
// Run against threadline's own connection, as the inbound path runs it.

export interface LookupResult {
  size: number;
  p50: number;
  p99: number;
  max: number;
  fillSeconds: number;
}

const DAY_MS = 86_400_000;
// Calls made but not timed at each size: V8 optimizes decide() and Kysely, the caches fill.
const WARM_UP = 2000;
const INBOUND_DOMAIN = 'replies.localhost';
const SENDER_DOMAIN = 'notify.localhost';

export async function measureLookup(o: { sizes: number[]; samples: number; databaseUrl?: string; log(line: string): void }): Promise<LookupResult[]> {
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-lookup-')));
  const pgScratch = o.databaseUrl && !o.databaseUrl.startsWith('sqlite://') ? await scratchPostgres(o.databaseUrl) : null;
  const url = pgScratch?.url ?? `sqlite://${path.join(dir, 'lookup.db')}`;
  const secret = randomBytes(32).toString('hex');
  const config = loadConfig({ THREADLINE_DATA_DIR: dir, THREADLINE_SECRET: secret, THREADLINE_DATABASE_URL: url, THREADLINE_LOG_LEVEL: 'silent' });
  const opened = openDatabase(url);
  let store: Store | null = null;
  try {
    await migrateToLatest(opened.db);
    const services = createServices({ db: opened.db, dialect: opened.dialect, clock: systemClock, config, secret: Buffer.from(secret) });
    const org = await initOrganization(services, { orgName: 'Lookup', inboundDomain: INBOUND_DOMAIN, senderDomain: SENDER_DOMAIN });
    // Spread over 29 days, so every message is inside the default 30-day threading window.
    const largest = Math.max(...o.sizes);
    const plan = { orgId: org.orgId, queueId: org.queueId, start: Date.now() - 29 * DAY_MS, stepMs: (29 * DAY_MS) / largest, senderDomain: SENDER_DOMAIN, inboundDomain: INBOUND_DOMAIN };
    store = pgScratch ? postgresStore(opened, plan, pgScratch.drop) : sqliteStore(url.slice('sqlite://'.length), opened, plan);
    const results: LookupResult[] = [];
    let filled = 0;
    for (const size of [...o.sizes].sort((a, b) => a - b)) {
      const t0 = performance.now();
      await store.fill(filled, size);
      filled = size;
      const fillSeconds = (performance.now() - t0) / 1000;
      const ids = await store.sample(o.samples + WARM_UP);
      const times: number[] = [];
      for (const [k, header] of ids.entries()) {
        const headers = { recipients: [`support@${INBOUND_DOMAIN}`], inReplyTo: `<${header}>`, references: [], threadIndex: null };
        const t = performance.now();
        const d = await services.threading.decide(opened.db, org.orgId, headers, 'Re: Your order');
        const ms = performance.now() - t;
        if (d.outcome !== 'threaded') throw new Error(`lookup of <${header}> did not thread: ${JSON.stringify(d)}`);
        if (k < WARM_UP) continue;
        times.push(ms);
      }
      times.sort((a, b) => a - b);
      const r = { size, p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1]!, fillSeconds };
      o.log(
        `lookup     ${size.toLocaleString('en').padStart(9)} messages (filled in ${fillSeconds.toFixed(1)} s): decide() p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, ` +
          `max ${r.max.toFixed(2)} ms over ${times.length}`,
      );
      results.push(r);
    }
    return results;
  } finally {
    if (store) await store.close();
    else {
      await opened.close();
      await pgScratch?.drop();
    }
  }
}
