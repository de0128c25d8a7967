import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type OpenedDb, openDatabase } from '../../src/db/open.js';
import { listEvents } from '../../src/events/events.repo.js';
import { findDuplicate } from '../../src/inbound/inbound.repo.js';
import { findByMessageIdHeader } from '../../src/threading/threading.repo.js';
import { recording } from '../helpers/recording-db.js';

// The lookups every inbound reply makes, as SQLite plans them on the migrated schema: each
// must go straight to its rows through an index, without sorting the matches or reading rows
// that a later condition throws away.

let dir: string;
let file: string;
let opened: OpenedDb;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-plans-'));
  file = path.join(dir, 'plans.db');
  opened = openDatabase(`sqlite://${file}`);
  await migrateToLatest(opened.db);
});

afterAll(async () => {
  await opened.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The statement a repository function runs, and SQLite's plan for it (one line per step). */
async function planOf(run: (db: ReturnType<typeof recording>['db']) => Promise<unknown>): Promise<string[]> {
  const { db, ran } = recording('sqlite');
  await run(db);
  expect(ran).toHaveLength(1);
  const q = ran[0]!;
  const sqlite = new SQLite(file, { readonly: true });
  try {
    return (sqlite.prepare(`explain query plan ${q.sql}`).all(q.parameters) as Array<{ detail: string }>).map((r) => r.detail);
  } finally {
    sqlite.close();
  }
}

describe('inbound lookups use an index that answers them', () => {
  it('threading by Message-ID finds the newest match without sorting (In-Reply-To, References)', async () => {
    const plan = await planOf((db) => findByMessageIdHeader(db, 'org', '<parent@notify.example.com>'));
    expect(plan.join(' | ')).toMatch(/USING INDEX messages_message_id_header_created \(message_id_header=\?\)/);
    expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
  });

  it('the duplicate check reads only copies for the same recipient', async () => {
    const plan = await planOf((db) => findDuplicate(db, 'org', '<m@example.com>', 'hash', 'support@replies.example.com'));
    expect(plan.join(' | ')).toMatch(/inbound_details USING INDEX inbound_details_hash_to \(content_hash=\? AND envelope_to=\?\)/);
  });
});

describe('the event log', () => {
  it('a page after a cursor starts at the cursor in the index, and is read in its order', async () => {
    const plan = await planOf((db) => listEvents(db, { orgId: 'org', after: { tx: 0, seq: 10 }, types: ['message.sent'], limit: 100, postgres: false }));
    expect(plan.join(' | ')).toMatch(/event_log USING INDEX event_log_org_order \(org_id=\? AND tx=\? AND seq>\?\)/);
    expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
  });
});
