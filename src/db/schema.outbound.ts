// The tables of the Dynamics 365 model: templates, outbound configurations and what each
// invocation sent. Re-exported by schema.ts.

export interface OutboundTemplatesTable {
  id: string;
  org_id: string;
  name: string;
  channel: string;
  default_locale: string;
  /** JSON array of {locale, subject, textBody?, htmlBody?}, checked when saved (src/templates/template.model.ts). */
  localizations: string;
  created_at: number;
  updated_at: number;
}

export interface OutboundConfigurationsTable {
  id: string;
  org_id: string;
  name: string;
  channel_type: string;
  from_email: string;
  from_name: string | null;
  template_id: string;
  show_in_timeline: number;
  /** 'onSend' | 'onResponse' (Dynamics' msdyn_type). */
  conversation_record: string;
  queue_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface OutboundMessagesTable {
  message_id: string;
  org_id: string;
  configuration_id: string;
  regarding_object_id: string | null;
  entity_relationship_name: string | null;
  locale: string;
  show_in_timeline: number;
  created_at: number;
}

export interface OutboundSchedulesTable {
  id: string;
  org_id: string;
  configuration_id: string;
  /** JSON array of contacts, checked as an invocation's when saved. */
  contact_list: string;
  /** Null: fires once, at next_run_at. */
  cron: string | null;
  time_zone: string | null;
  /** 'active' | 'done' | 'cancelled' | 'failed' */
  state: string;
  /** The due time a job waits for; null once nothing more is due. */
  next_run_at: number | null;
  last_run_at: number | null;
  runs: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface OutboundScheduleRunsTable {
  schedule_id: string;
  due_at: number;
  org_id: string;
  queued: number;
  skipped: number;
  ran_at: number;
}
