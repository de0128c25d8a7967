import type { Migration } from 'kysely';
import * as m154000 from './2026_11_22_154000_create_organizations.js';
import * as m154100 from './2026_11_22_154100_create_oauth_clients.js';
import * as m154200 from './2026_11_22_154200_create_sender_domains.js';
import * as m154300 from './2026_11_22_154300_create_queues.js';
import * as m154400 from './2026_11_22_154400_create_inbound_domains.js';
import * as m154500 from './2026_11_22_154500_create_inbound_routes.js';
import * as m154600 from './2026_11_22_154600_create_conversations.js';
import * as m154700 from './2026_11_22_154700_create_messages.js';
import * as m154800 from './2026_11_22_154800_create_message_events.js';
import * as m154900 from './2026_11_22_154900_create_outbox.js';
import * as m155000 from './2026_11_22_155000_create_idempotency_keys.js';
import * as m155100 from './2026_11_22_155100_create_rate_counters.js';

// A static list rather than Kysely's FileMigrationProvider: the same import graph then works
// compiled (dist/) and from TypeScript sources under vitest. Add new files here, in order.
export const migrations: Record<string, Migration> = {
  '2026_11_22_154000_create_organizations': m154000,
  '2026_11_22_154100_create_oauth_clients': m154100,
  '2026_11_22_154200_create_sender_domains': m154200,
  '2026_11_22_154300_create_queues': m154300,
  '2026_11_22_154400_create_inbound_domains': m154400,
  '2026_11_22_154500_create_inbound_routes': m154500,
  '2026_11_22_154600_create_conversations': m154600,
  '2026_11_22_154700_create_messages': m154700,
  '2026_11_22_154800_create_message_events': m154800,
  '2026_11_22_154900_create_outbox': m154900,
  '2026_11_22_155000_create_idempotency_keys': m155000,
  '2026_11_22_155100_create_rate_counters': m155100,
};
