import type { ConversationsService } from '../conversations/conversations.service.js';
import type { Executor, OutboundConfigurationsTable, OutboundMessagesTable } from '../db/schema.js';
import { AppError, tooManyRequests } from '../errors.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import type { RateLimitService } from '../ratelimit/ratelimit.service.js';
import type { Draft, OutboundService, Submit } from '../send/outbound.js';
import type { Segment } from '../templates/placeholders.js';
import type { TemplateInput } from '../templates/template.model.js';
import type { TemplatesService } from '../templates/templates.service.js';
import * as repo from './configurations.repo.js';
import type { ConfigurationsService } from './configurations.service.js';
import { type Contact, checkContactList, prepareContact } from './contacts.js';

export interface ContactResult {
  tocontactid: string;
  status: 'queued' | 'skipped';
  messageId?: string;
  conversationId?: string;
  reason?: string;
  /** With reason "missing values": every placeholder the contact had no value for. */
  missing?: string[];
}

export interface InvokeResult {
  status: number;
  body: { results: ContactResult[] };
  replayed: boolean;
}

const HOUR_MS = 3_600_000;

/** A template as an invocation uses it: read once, each field parsed once for all contacts. */
export interface Loaded {
  input: TemplateInput;
  parsed: Map<string, Segment[]>;
}

export type InvokeService = ReturnType<typeof createInvokeService>;

export function createInvokeService(deps: {
  outbound: OutboundService;
  configurations: Pick<ConfigurationsService, 'row'>;
  templates: Pick<TemplatesService, 'load'>;
  conversations: Pick<ConversationsService, 'setQueue' | 'hideUntilReply'>;
  idempotency: IdempotencyService;
  rateLimit: RateLimitService;
  invocationsPerHour: number;
}) {
  /** One invocation from the organization's hourly allowance; counted in the invocation's transaction, so a refused one is not. */
  async function takeInvocation(trx: Executor, orgId: string): Promise<void> {
    const r = await deps.rateLimit.hit(trx, `outbound-invoke:${orgId}`, deps.invocationsPerHour, HOUR_MS);
    if (r.retry !== null) {
      throw tooManyRequests(`Rate limit exceeded: this organization may invoke outbound configurations ${deps.invocationsPerHour} times an hour. Retry after ${r.retry} s.`, r.retry);
    }
  }

  /**
   * Renders and submits one contact: queued, or skipped with the reason. The one step a
   * schedule or a batch repeats; `sent` collects the invocation's record of each message.
   */
  async function sendOne(
    trx: Executor,
    submit: Submit,
    cfg: OutboundConfigurationsTable,
    template: Loaded,
    c: Contact,
    i: number,
    sent: OutboundMessagesTable[],
    at?: number,
  ): Promise<ContactResult> {
    const p = prepareContact(c, i, template.input, template.parsed);
    if ('skip' in p) return { tocontactid: c.tocontactid, status: 'skipped', ...p.skip };
    const draft: Draft = {
      senderType: 'Outbound',
      conversation: { send: undefined },
      from: { email: cfg.from_email, name: cfg.from_name },
      to: p.to,
      replyTo: null,
      subject: p.rendered.subject,
      text: p.rendered.textBody,
      html: p.rendered.htmlBody,
      ...(at === undefined ? {} : { at }),
      fields: { from: 'fromAddress', to: `contactList[${i}].tocontactid` },
    };
    let q: Awaited<ReturnType<Submit>>;
    try {
      q = await submit(draft);
    } catch (err) {
      // The pipeline refuses a suppressed address (outbound.ts) before it writes anything: that
      // contact is skipped and the others go on in the same transaction.
      if (err instanceof AppError && err.code === 'recipient.suppressed') return { tocontactid: c.tocontactid, status: 'skipped', reason: 'suppressed' };
      throw err;
    }
    // A reply finds its conversation by the signed reply address and goes to the
    // conversation's queue (inbound.service.ts), so the queue is set now, at send time.
    if (cfg.queue_id) await deps.conversations.setQueue(trx, q.conversationId, cfg.queue_id);
    if (cfg.conversation_record === 'onResponse') await deps.conversations.hideUntilReply(trx, q.conversationId);
    // With the timeline off nothing is kept for it (Dynamics advises that for mass sends);
    // which configuration sent the message is kept either way.
    const timeline = cfg.show_in_timeline === 1;
    sent.push({
      message_id: q.id,
      org_id: cfg.org_id,
      configuration_id: cfg.id,
      regarding_object_id: timeline ? p.regardingObjectId : null,
      entity_relationship_name: timeline ? (c.entityrelationshipname ?? null) : null,
      locale: p.rendered.locale,
      show_in_timeline: cfg.show_in_timeline,
      created_at: q.createdAt,
    });
    // An organization that records sends to suppressed addresses gets the message kept, never sent.
    const ids = { messageId: q.id, conversationId: q.conversationId };
    return q.status === 'suppressed' ? { tocontactid: c.tocontactid, status: 'skipped', reason: 'suppressed', ...ids } : { tocontactid: c.tocontactid, status: 'queued', ...ids };
  }

  /**
   * An invocation inside the caller's transaction of `outbound.send`: counted against the
   * hourly limit, then every contact rendered and submitted, and each message's record written.
   * What the route runs, and what a schedule runs at its due time (`at`: when delivery may begin).
   */
  async function invokeIn(trx: Executor, submit: Submit, orgId: string, configurationId: string, contacts: Contact[], at?: number): Promise<ContactResult[]> {
    const cfg = await deps.configurations.row(trx, orgId, configurationId);
    await takeInvocation(trx, orgId);
    const template: Loaded = { input: await deps.templates.load(trx, orgId, cfg.template_id), parsed: new Map() };
    const sent: OutboundMessagesTable[] = [];
    const results: ContactResult[] = [];
    for (const [i, c] of contacts.entries()) results.push(await sendOne(trx, submit, cfg, template, c, i, sent, at));
    await repo.insertSent(trx, sent);
    return results;
  }

  return {
    sendOne,
    invokeIn,

    /**
     * Sends a configuration's template to up to 100 contacts in ONE transaction: every queued
     * contact is recorded (message, outbox row, conversation, the invocation's record) or none
     * is. The results follow the list's order.
     */
    async invoke(orgId: string, configurationId: string, contacts: Contact[], idem: { key: string; hash: string } | null): Promise<InvokeResult> {
      checkContactList(contacts, configurationId);
      return deps.outbound.send(orgId, async (trx, submit): Promise<InvokeResult> => {
        if (idem) {
          const replay = await deps.idempotency.begin(trx, orgId, idem.key, idem.hash);
          if (replay) return { status: replay.status, body: replay.body as InvokeResult['body'], replayed: true };
        }
        const body = { results: await invokeIn(trx, submit, orgId, configurationId, contacts) };
        if (idem) await deps.idempotency.finish(trx, orgId, idem.key, 202, body);
        return { status: 202, body, replayed: false };
      });
    },
  };
}
