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
