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
import * as m160000 from './2026_11_22_160000_create_users.js';
import * as m160100 from './2026_11_22_160100_create_queue_members.js';
import * as m160200 from './2026_11_22_160200_create_work_items.js';
import * as m160300 from './2026_11_22_160300_create_work_item_events.js';

import * as m170000 from './2026_11_22_170000_create_message_threading.js';
import * as m170100 from './2026_11_22_170100_create_inbound_details.js';
import * as m170200 from './2026_11_22_170200_create_raw_messages.js';
import * as m170300 from './2026_11_22_170300_create_threading_decisions.js';
import * as m170400 from './2026_11_22_170400_create_threading_settings.js';
import * as m170500 from './2026_11_22_170500_add_conversations_queue_id.js';
import * as m170600 from './2026_11_22_170600_add_conversations_previous_id.js';
import * as m180000 from './2026_11_22_180000_add_sender_domain_dns.js';
import * as m180100 from './2026_11_22_180100_add_inbound_authentication.js';
import * as m180200 from './2026_11_22_180200_create_quarantine.js';
import * as m203000 from './2026_11_22_203000_add_quarantine_message_id_index.js';
import * as m220000 from './2026_11_22_220000_widen_lookup_indexes.js';
import * as m20261201110000 from './2026_12_01_110000_create_inbound_domain_claims.js';
import * as m20261201110100 from './2026_12_01_110100_add_inbound_skipped_stages.js';
import * as m20261201110200 from './2026_12_01_110200_add_outbox_waiting_for.js';
import * as m20261201120000 from './2026_12_01_120000_create_event_log.js';
import * as m20261201130000 from './2026_12_01_130000_create_raw_message_chunks.js';
import * as m20261201140000 from './2026_12_01_140000_create_suppressions.js';
import * as m20261201150000 from './2026_12_01_150000_create_jobs.js';
import * as m20261201150100 from './2026_12_01_150100_create_message_bounces.js';
import * as m20261201160000 from './2026_12_01_160000_create_outbound_templates.js';
import * as m20261201160100 from './2026_12_01_160100_create_outbound_configurations.js';
import * as m20261201160200 from './2026_12_01_160200_create_outbound_messages.js';
import * as m20261201160300 from './2026_12_01_160300_add_conversations_awaiting_reply.js';
import * as m20261201170000 from './2026_12_01_170000_create_outbound_schedules.js';
import * as m20261201171500 from './2026_12_01_171500_create_webhooks.js';
import * as m20261201172000 from './2026_12_01_172000_create_webhook_deliveries.js';
import * as m20261201180000 from './2026_12_01_180000_create_console_sessions.js';
import * as m20261201190000 from './2026_12_01_190000_add_event_log_type_time_index.js';
import * as m20261201190100 from './2026_12_01_190100_create_wrapup_codes.js';
import * as m20261201200000 from './2026_12_01_200000_add_user_credentials_version.js';
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
  '2026_11_22_160000_create_users': m160000,
  '2026_11_22_160100_create_queue_members': m160100,
  '2026_11_22_160200_create_work_items': m160200,
  '2026_11_22_160300_create_work_item_events': m160300,
  '2026_11_22_170000_create_message_threading': m170000,
  '2026_11_22_170100_create_inbound_details': m170100,
  '2026_11_22_170200_create_raw_messages': m170200,
  '2026_11_22_170300_create_threading_decisions': m170300,
  '2026_11_22_170400_create_threading_settings': m170400,
  '2026_11_22_170500_add_conversations_queue_id': m170500,
  '2026_11_22_170600_add_conversations_previous_id': m170600,
  '2026_11_22_180000_add_sender_domain_dns': m180000,
  '2026_11_22_180100_add_inbound_authentication': m180100,
  '2026_11_22_180200_create_quarantine': m180200,
  '2026_11_22_203000_add_quarantine_message_id_index': m203000,
  '2026_11_22_220000_widen_lookup_indexes': m220000,
  '2026_12_01_110000_create_inbound_domain_claims': m20261201110000,
  '2026_12_01_110100_add_inbound_skipped_stages': m20261201110100,
  '2026_12_01_110200_add_outbox_waiting_for': m20261201110200,
  '2026_12_01_120000_create_event_log': m20261201120000,
  '2026_12_01_130000_create_raw_message_chunks': m20261201130000,
  '2026_12_01_140000_create_suppressions': m20261201140000,
  '2026_12_01_150000_create_jobs': m20261201150000,
  '2026_12_01_150100_create_message_bounces': m20261201150100,
  '2026_12_01_160000_create_outbound_templates': m20261201160000,
  '2026_12_01_160100_create_outbound_configurations': m20261201160100,
  '2026_12_01_160200_create_outbound_messages': m20261201160200,
  '2026_12_01_160300_add_conversations_awaiting_reply': m20261201160300,
  '2026_12_01_170000_create_outbound_schedules': m20261201170000,
  '2026_12_01_171500_create_webhooks': m20261201171500,
  '2026_12_01_172000_create_webhook_deliveries': m20261201172000,
  '2026_12_01_180000_create_console_sessions': m20261201180000,
  '2026_12_01_190000_add_event_log_type_time_index': m20261201190000,
  '2026_12_01_190100_create_wrapup_codes': m20261201190100,
  '2026_12_01_200000_add_user_credentials_version': m20261201200000,
};
