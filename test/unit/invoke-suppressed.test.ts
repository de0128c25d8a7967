import { describe, expect, it } from 'vitest';
import type { Executor, OutboundConfigurationsTable, OutboundMessagesTable } from '../../src/db/schema.js';
import { AppError } from '../../src/errors.js';
import { createInvokeService } from '../../src/outbound-config/invoke.service.js';
import type { Draft, Submit } from '../../src/send/outbound.js';
import type { TemplateInput } from '../../src/templates/template.model.js';

// The suppression list arrives with the bounce work: the pipeline then refuses a suppressed
// address with `recipient.suppressed`. An invocation reports that contact as skipped and goes
// on; any other refusal is the whole invocation's.

const cfg: OutboundConfigurationsTable = {
  id: 'cfg',
  org_id: 'org',
  name: 'n',
  channel_type: 'email',
  from_email: 'support@example.com',
  from_name: null,
  template_id: 't',
  show_in_timeline: 1,
  conversation_record: 'onSend',
  queue_id: null,
  created_at: 0,
  updated_at: 0,
};
const input: TemplateInput = { name: 't', channel: 'email', defaultLocale: 'en', localizations: [{ locale: 'en', subject: 'Hi {CustomerName}', textBody: 'x' }] };
const template = { input, parsed: new Map() };
const invoke = createInvokeService({
  outbound: {} as never,
  configurations: {} as never,
  templates: {} as never,
  conversations: { setQueue: async () => undefined, hideUntilReply: async () => undefined } as never,
  idempotency: {} as never,
  rateLimit: {} as never,
  invocationsPerHour: 1,
});
const submit =
  (refuse: string, code: string): Submit =>
  async (d: Draft) => {
    if (d.to.email === refuse) throw new AppError(400, code, 'refused');
    return {
      id: `m-${d.to.email}`,
      status: 'queued',
      conversationId: 'c',
      from: { email: d.from.email, name: null },
      to: { email: d.to.email, name: null },
      replyTo: null,
      subject: d.subject,
      createdAt: 1,
    };
  };
const contact = (email: string) => ({ tocontactid: email, optin: true, CustomerName: 'Pat' });
const trx = {} as Executor;

describe('a suppressed contact', () => {
  it('is skipped with reason "suppressed" and nothing recorded for it', async () => {
    const sent: OutboundMessagesTable[] = [];
    const s = submit('gone@example.com', 'recipient.suppressed');
    expect(await invoke.sendOne(trx, s, cfg, template, contact('gone@example.com'), 0, sent)).toEqual({ tocontactid: 'gone@example.com', status: 'skipped', reason: 'suppressed' });
    expect(await invoke.sendOne(trx, s, cfg, template, contact('ok@example.com'), 1, sent)).toMatchObject({ status: 'queued', messageId: 'm-ok@example.com' });
    expect(sent.map((r) => r.message_id)).toEqual(['m-ok@example.com']);
  });

  it('is the only refusal a contact absorbs', async () => {
    await expect(invoke.sendOne(trx, submit('x@example.com', 'bad.request'), cfg, template, contact('x@example.com'), 0, [])).rejects.toThrow('refused');
  });
});
