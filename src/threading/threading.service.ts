import { TtlCache } from '../cache.js';
import type { Clock } from '../clock.js';
import { INBOUND_AUTH_POLICIES, type InboundAuthPolicy } from '../config.js';
import type { Db, Executor } from '../db/schema.js';
import { badRequest, notFound } from '../errors.js';
import type { TokenKeys } from '../mail/tokens.js';
import { type Candidate, candidates, type Signal, type ThreadingHeaders } from './signals.js';
import { baseSubject } from './subject.js';
import * as repo from './threading.repo.js';

export const DEFAULT_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

export interface Settings {
  windowDays: number;
  subjectThreading: boolean;
  /** Who may be appended to a conversation: see src/inbound/authenticate.ts. */
  inboundAuth: InboundAuthPolicy;
}

export type CandidateOutcome = 'matched' | 'unknown' | 'bad-signature' | 'other-organization' | 'outside-window' | 'subject-changed' | 'not-considered';

export interface CandidateResult {
  signal: Signal;
  value: string;
  outcome: CandidateOutcome;
  messageId?: string;
  conversationId?: string;
  ageDays?: number;
}

export interface Decision {
  /** The conversation to append to; null: start a new one. */
  conversationId: string | null;
  /** For a new conversation: the one it follows (a reply after the window, or a new subject). */
  previousConversationId: string | null;
  signal: Signal | 'none';
  outcome: 'threaded' | 'new' | 'new-after-window' | 'new-subject-changed' | 'threading-off';
  matchedMessageId: string | null;
  windowDays: number;
  subjectThreading: boolean;
  candidates: CandidateResult[];
  /** Set by the inbound path: the authentication rule that let the reply in (or would have, in monitor mode). */
  authentication?: { policy: InboundAuthPolicy; allowed: boolean; rule: string; reason: string };
  /** Set by the inbound path: why the message has no single author (src/inbound/author.ts). */
  authorProblem?: string;
}

export type ThreadingService = ReturnType<typeof createThreadingService>;

export function createThreadingService(deps: {
  db: Db;
  clock: Clock;
  keys: TokenKeys;
  conversationSubject(ex: Executor, orgId: string, conversationId: string): Promise<string | null>;
  /** THREADLINE_INBOUND_AUTH: the policy of an organization that has not chosen one. */
  defaultInboundAuth?: InboundAuthPolicy;
}) {
  const { db, clock, keys } = deps;
  const cache = new TtlCache<string, Settings>({ max: 10_000, ttlMs: 5_000, clock });

  function settings(ex: Executor, orgId: string): Promise<Settings> {
    return cache.getOrLoad(orgId, async () => {
      const row = await repo.findSettings(ex, orgId);
      const inboundAuth = (row?.inbound_auth as InboundAuthPolicy | null | undefined) ?? deps.defaultInboundAuth ?? 'require';
      return row ? { windowDays: row.window_days, subjectThreading: row.subject_threading === 1, inboundAuth } : { windowDays: DEFAULT_WINDOW_DAYS, subjectThreading: false, inboundAuth };
    });
  }

  /** Finds the message a candidate points at, or why it points nowhere usable. */
  async function resolve(ex: Executor, orgId: string, c: Candidate): Promise<Omit<CandidateResult, 'signal' | 'value'>> {
    let found: { id: string; org_id: string; conversation_id: string; created_at: number } | undefined;
    if (c.signal === 'reply-token') {
      if (!c.messageId) return { outcome: 'bad-signature' };
      found = await repo.findMessage(ex, c.messageId);
    } else if (c.signal === 'thread-index') {
      found = await repo.findByThreadIndexRoot(ex, orgId, c.value);
    } else {
      found = await repo.findByMessageIdHeader(ex, orgId, c.value);
      if (!found) return { outcome: (await repo.existsElsewhere(ex, orgId, c.value)) ? 'other-organization' : 'unknown' };
    }
    if (!found) return { outcome: 'unknown' };
    if (found.org_id !== orgId) return { outcome: 'other-organization' };
    return { outcome: 'matched', messageId: found.id, conversationId: found.conversation_id, ageDays: (clock.now() - Number(found.created_at)) / DAY_MS };
  }

  return {
    settings: (orgId: string) => settings(db, orgId),
    /** The settings read inside the caller's transaction (cached a few seconds). */
    settingsIn: settings,

    async updateSettings(orgId: string, patch: Partial<Settings>) {
      const current = await settings(db, orgId);
      const next = { ...current, ...patch };
      if (!Number.isInteger(next.windowDays) || next.windowDays < 0 || next.windowDays > 30) {
        throw badRequest('windowDays', 'windowDays must be a whole number of days from 0 (threading off) to 30.');
      }
      if (!INBOUND_AUTH_POLICIES.includes(next.inboundAuth)) throw badRequest('inboundAuth', `inboundAuth must be one of ${INBOUND_AUTH_POLICIES.join(', ')}.`);
      await repo.upsertSettings(db, {
        org_id: orgId,
        window_days: next.windowDays,
        subject_threading: next.subjectThreading ? 1 : 0,
        inbound_auth: next.inboundAuth,
        updated_at: clock.now(),
      });
      cache.delete(orgId);
      return next;
    },

    /** Decides where an inbound message belongs; pure reads, inside the caller's transaction. */
    async decide(ex: Executor, orgId: string, headers: ThreadingHeaders, subject: string | null): Promise<Decision> {
      const s = await settings(ex, orgId);
      const all = candidates(keys, headers);
      const base = { previousConversationId: null, matchedMessageId: null, windowDays: s.windowDays, subjectThreading: s.subjectThreading };
      if (s.windowDays === 0) {
        return { ...base, conversationId: null, signal: 'none', outcome: 'threading-off', candidates: all.map((c) => ({ signal: c.signal, value: c.value, outcome: 'not-considered' })) };
      }
      const results: CandidateResult[] = [];
      let expired: CandidateResult | null = null;
      let decided: Decision | null = null;
      for (const c of all) {
        if (decided) {
          results.push({ signal: c.signal, value: c.value, outcome: 'not-considered' });
          continue;
        }
        const r: CandidateResult = { signal: c.signal, value: c.value, ...(await resolve(ex, orgId, c)) };
        if (r.outcome === 'matched' && r.ageDays! > s.windowDays) r.outcome = 'outside-window';
        if (r.outcome === 'matched' && s.subjectThreading) {
          const theirs = await deps.conversationSubject(ex, orgId, r.conversationId!);
          if (baseSubject(theirs) !== baseSubject(subject)) {
            r.outcome = 'subject-changed';
            decided = {
              ...base,
              conversationId: null,
              previousConversationId: r.conversationId!,
              signal: c.signal,
              outcome: 'new-subject-changed',
              matchedMessageId: r.messageId!,
              candidates: results,
            };
          }
        }
        if (r.ageDays !== undefined) r.ageDays = Math.round(r.ageDays * 100) / 100;
        results.push(r);
        if (r.outcome === 'outside-window') expired ??= r;
        if (r.outcome === 'matched') {
          decided = { ...base, conversationId: r.conversationId!, signal: c.signal, outcome: 'threaded', matchedMessageId: r.messageId!, candidates: results };
        }
      }
      if (decided) return decided;
      if (expired) {
        return {
          ...base,
          conversationId: null,
          previousConversationId: expired.conversationId!,
          signal: expired.signal,
          outcome: 'new-after-window',
          matchedMessageId: expired.messageId!,
          candidates: results,
        };
      }
      return { ...base, conversationId: null, signal: 'none', outcome: 'new', candidates: results };
    },

    async record(ex: Executor, orgId: string, messageId: string, conversationId: string, d: Decision) {
      await repo.insertDecision(ex, {
        message_id: messageId,
        org_id: orgId,
        conversation_id: conversationId,
        signal: d.signal,
        outcome: d.outcome,
        detail: JSON.stringify({
          matchedMessageId: d.matchedMessageId,
          previousConversationId: d.previousConversationId,
          windowDays: d.windowDays,
          subjectThreading: d.subjectThreading,
          candidates: d.candidates,
          ...(d.authentication ? { authentication: d.authentication } : {}),
          ...(d.authorProblem ? { authorProblem: d.authorProblem } : {}),
        }),
        created_at: clock.now(),
      });
    },

    recordHeaders: (ex: Executor, row: Parameters<typeof repo.insertThreading>[1]) => repo.insertThreading(ex, row),
    findHeaders: (ex: Executor, messageId: string) => repo.findThreading(ex, messageId),
    findHeadersMany: (ex: Executor, ids: string[]) => repo.findThreadingMany(ex, ids),

    async explain(orgId: string, messageId: string) {
      const row = await repo.findDecision(db, orgId, messageId);
      if (!row) throw notFound(`A threading decision for message ${messageId}`);
      return {
        messageId,
        conversationId: row.conversation_id,
        signal: row.signal,
        outcome: row.outcome,
        decidedAt: new Date(Number(row.created_at)).toISOString(),
        ...JSON.parse(row.detail),
      };
    },
  };
}
