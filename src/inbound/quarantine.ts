import type { Clock } from '../clock.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Db, Executor, QuarantineTable } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import type { EventsService } from '../events/events.service.js';
import { newId } from '../ids.js';
import type { Decision } from '../threading/threading.service.js';
import type { Authorization, AuthResult, AuthSummary } from './authenticate.js';
import { filedAddress, settleAuthor } from './author.js';
import * as repo from './inbound.repo.js';
import { type Delivery, mainRecipient, type Prepared, prepare } from './prepare.js';
import { writeRaw } from './raw-chunks.js';
import { bufferSource } from './spool.js';

// Replies that named a conversation but failed the organization's authentication rule: held
// with their bytes until an administrator releases them (stored through the normal path) or
// drops them (bytes deleted, the entry kept).

export interface QuarantineView {
  id: string;
  state: string;
  reason: string;
  conversationId: string;
  signal: string;
  from: string;
  subject: string;
  messageId: string;
  envelopeFrom: string;
  recipients: string[];
  remoteAddress: string;
  authenticationResults: string;
  authentication: AuthSummary;
  threading: unknown;
  dateReceived: string;
  dateResolved?: string;
  resolvedBy?: string;
  resolution?: string;
  resultMessageId?: string;
  selfUri: string;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

const view = (q: Omit<QuarantineTable, 'raw'>): QuarantineView => ({
  id: q.id,
  state: q.state,
  reason: q.reason,
  conversationId: q.conversation_id,
  signal: q.signal,
  from: q.from_email,
  subject: q.subject ?? '',
  messageId: `<${q.message_id_header}>`,
  envelopeFrom: q.envelope_from,
  recipients: JSON.parse(q.recipients) as string[],
  remoteAddress: q.remote_address,
  authenticationResults: q.auth_results,
  authentication: JSON.parse(q.auth_summary) as AuthSummary,
  threading: JSON.parse(q.decision) as unknown,
  dateReceived: iso(q.created_at),
  ...(q.resolved_at !== null ? { dateResolved: iso(q.resolved_at) } : {}),
  ...(q.resolved_by ? { resolvedBy: q.resolved_by } : {}),
  ...(q.resolution ? { resolution: q.resolution } : {}),
  ...(q.result_message_id ? { resultMessageId: q.result_message_id } : {}),
  selfUri: `/api/v2/routing/email/quarantine/${q.id}`,
});

/** What storing a released message needs from the inbound path. */
type Store = (
  trx: Executor,
  orgId: string,
  p: Prepared,
  d: Delivery,
  decision: Decision,
  auth: AuthResult,
) => Promise<{ messageId: string; conversationId: string; kind: string; outcome: string; workItem: boolean }>;

export function createQuarantine(deps: { db: Db; batcher: TxBatcher; clock: Clock; events: EventsService; store: Store; onStored?(s: { kind: string; outcome: string }): void }) {
  const { db, batcher, clock } = deps;

  async function get(orgId: string, id: string) {
    const q = await repo.findQuarantine(db, orgId, id);
    if (!q) throw notFound(`Quarantined message ${id}`);
    return q;
  }
  const resolved = (id: string, state: string) => new AppError(409, 'quarantine.resolved', `Quarantined message ${id} was already ${state}.`);

  return {
    /** Holds a message inside the caller's transaction; returns the entry's id. */
    async hold(trx: Executor, orgId: string, p: Prepared, d: Delivery, decision: Decision & { conversationId: string; authentication: Authorization }, auth: AuthResult): Promise<string> {
      const id = newId(clock.now());
      await writeRaw(trx, id, d.raw, (first) =>
        repo.insertQuarantine(trx, {
          id,
          org_id: orgId,
          conversation_id: decision.conversationId,
          signal: decision.signal,
          reason: decision.authentication.reason,
          from_email: filedAddress(p.author, d.envelopeFrom),
          subject: p.subject,
          message_id_header: p.messageIdHeader,
          envelope_from: d.envelopeFrom,
          recipients: JSON.stringify(d.recipients),
          remote_address: d.remoteAddress,
          helo: d.helo,
          auth_results: auth.header,
          auth_summary: JSON.stringify(auth.summary),
          decision: JSON.stringify(decision),
          raw: first,
          state: 'held',
          created_at: clock.now(),
          resolved_at: null,
          resolved_by: null,
          resolution: null,
          result_message_id: null,
        }),
      );
      // A reply that named no conversation it may see has none to tell.
      await deps.events.record(trx, orgId, 'inbound.quarantined', {
        quarantineId: id,
        ...(decision.conversationId ? { conversationId: decision.conversationId } : {}),
        reason: decision.authentication.reason,
      });
      return id;
    },

    async listQuarantine(orgId: string, opts: { state: string | null; pageSize: number; pageNumber: number }) {
      const rows = await repo.listQuarantine(db, orgId, opts.state, opts.pageSize, (opts.pageNumber - 1) * opts.pageSize);
      return { entities: rows.map(view), pageSize: opts.pageSize, pageNumber: opts.pageNumber };
    },
    getQuarantine: async (orgId: string, id: string) => view(await get(orgId, id)),

    /**
     * An administrator's release of a held reply: into the conversation it named (the decision
     * record says who released it and why it was held), or as a new conversation linked to it.
     */
    async release(orgId: string, id: string, into: 'conversation' | 'new', by: string) {
      const q = await get(orgId, id);
      if (q.state !== 'held') throw resolved(id, q.state);
      const raw = await repo.findQuarantinedRaw(db, id);
      if (!raw) throw resolved(id, 'resolved');
      const parsed = await prepare(raw, q.envelope_from);
      const held = JSON.parse(q.decision) as Decision;
      const authentication = {
        policy: held.authentication?.policy ?? 'require',
        allowed: true,
        rule: 'released',
        reason: `released from quarantine by ${by} (${into}); held because: ${q.reason}`,
      };
      const decision: Decision =
        into === 'conversation'
          ? { ...held, authentication }
          : { ...held, conversationId: null, previousConversationId: q.conversation_id, signal: 'none', outcome: 'new', matchedMessageId: null, authentication };
      const recipients = JSON.parse(q.recipients) as string[];
      const d: Delivery = { raw: bufferSource(raw), envelopeFrom: q.envelope_from, remoteAddress: q.remote_address, helo: q.helo, recipients, to: mainRecipient(recipients) };
      const auth = { header: q.auth_results, summary: JSON.parse(q.auth_summary) as AuthSummary };
      const p = { ...parsed, author: settleAuthor(parsed.author, auth.summary.dmarcFrom) };
      const stored = await batcher.run(async (trx) => {
        if (!(await repo.resolveQuarantine(trx, id, { state: 'released', resolved_at: clock.now(), resolved_by: by, resolution: into, result_message_id: null })))
          throw resolved(id, 'resolved');
        const s = await deps.store(trx, orgId, p, d, decision, auth);
        await repo.setQuarantineResult(trx, id, s.messageId);
        return s;
      });
      deps.onStored?.(stored);
      return { ...view(await get(orgId, id)), conversationId: stored.conversationId, workItem: stored.workItem };
    },

    /** Drops a held reply: the entry stays (who, when), the message itself is deleted. */
    async drop(orgId: string, id: string, by: string) {
      const q = await get(orgId, id);
      await batcher.run(async (trx) => {
        if (!(await repo.resolveQuarantine(trx, id, { state: 'dropped', resolved_at: clock.now(), resolved_by: by, resolution: 'dropped', result_message_id: null })))
          throw resolved(id, q.state);
      });
      return view(await get(orgId, id));
    },
  };
}
