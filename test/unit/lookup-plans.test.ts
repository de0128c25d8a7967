import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitsByBucket } from '../../src/acd/acd.repo.js';
import { searchMessagesBefore } from '../../src/conversations/conversations.repo.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type OpenedDb, openDatabase } from '../../src/db/open.js';
import { countByBucket, listEvents } from '../../src/events/events.repo.js';
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

describe("the console's interactions", () => {
  const range = { since: 1_764_547_200_000, bucketMs: 3_600_000, buckets: 24 };

  it('counts events per time bucket from the index of their types and times, not the whole log', async () => {
    const plan = await planOf((db) => countByBucket(db, 'org', ['message.sent', 'message.bounced'], range));
    expect(plan.join(' | ')).toMatch(/event_log USING (COVERING )?INDEX event_log_org_type_at \(org_id=\? AND type=\? AND at>\? AND at<\?\)/);
    expect(plan.join(' | ')).not.toMatch(/SCAN event_log/);
  });

  it("reads the queue waits from each of the organization's queues' leases in the range", async () => {
    const plan = await planOf((db) => waitsByBucket(db, 'org', range));
    expect(plan.join(' | ')).toMatch(/SEARCH e USING INDEX work_item_events_queue \(queue_id=\? AND type=\? AND at>\? AND at<\?\)/);
    expect(plan.join(' | ')).toMatch(/SEARCH w USING INDEX sqlite_autoindex_work_items_1 \(id=\?\)/);
  });

  it("pages a conversation's messages by key from the conversation's index", async () => {
    const plan = await planOf((db) => searchMessagesBefore(db, 'org', { conversationId: 'c1' }, { createdAt: 1_764_547_200_000, id: 'm1' }, 26));
    expect(plan.join(' | ')).toMatch(/messages USING INDEX messages_conversation \(conversation_id=\?/);
  });
});
