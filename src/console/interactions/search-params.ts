import type { MessageFilter, MessageKey } from '../../conversations/conversations.repo.js';
import { MESSAGE_STATUSES } from '../../conversations/conversations.routes.js';
import { badRequest } from '../../errors.js';

/** Messages per page of the console's listings. */
export const PAGE_SIZE = 25;

const MAX_ADDRESS = 320;

/** The key of the next page, opaque in the URL (base64url of `createdAt.id`). */
export const encodeKey = (k: MessageKey) => Buffer.from(`${k.createdAt}.${k.id}`).toString('base64url');

export function decodeKey(text: string): MessageKey {
  const m = /^[A-Za-z0-9_-]{1,120}$/.test(text) ? /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(text, 'base64url').toString('latin1')) : null;
  if (!m) throw badRequest('before', 'The page link is not one this console made: start again from the first page.');
  return { createdAt: Number(m[1]), id: m[2]! };
}

/**
 * A time from a datetime-local field (no zone: read as UTC, as the form says) or an ISO-8601
 * time with its zone, as epoch milliseconds.
 */
function parseTime(field: string, label: string, value: string): number {
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value);
  const ms = value.length <= 40 ? Date.parse(local ? `${value}Z` : value) : Number.NaN;
  if (Number.isNaN(ms)) throw badRequest(field, `${label} must be a date and time like 2026-12-01T09:30 (UTC); got ${JSON.stringify(value.slice(0, 40))}.`);
  return ms;
}

export interface SearchForm {
  address: string;
  status: string;
  direction: string;
  from: string;
  to: string;
  conversationId: string;
}

/** The search form's fields (what to show in it again) and the filter and page they ask for; a clear 400 for each bad field. */
export function parseSearch(query: Record<string, string | undefined>): { form: SearchForm; filter: MessageFilter; before?: MessageKey } {
  const text = (k: string) => (query[k] ?? '').trim();
  const form: SearchForm = { address: text('address'), status: text('status'), direction: text('direction'), from: text('from'), to: text('to'), conversationId: text('conversationId') };
  const filter: MessageFilter = {};
  if (form.address) {
    if (form.address.length > MAX_ADDRESS) throw badRequest('address', `The address is longer than ${MAX_ADDRESS} characters.`);
    filter.address = form.address;
  }
  if (form.status) {
    if (!(MESSAGE_STATUSES as readonly string[]).includes(form.status)) throw badRequest('status', `Status must be one of ${MESSAGE_STATUSES.join(', ')}.`);
    filter.status = form.status;
  }
  if (form.direction) {
    if (form.direction !== 'inbound' && form.direction !== 'outbound') throw badRequest('direction', 'Direction must be inbound or outbound.');
    filter.direction = form.direction;
  }
  if (form.from) filter.since = parseTime('from', 'From', form.from);
  if (form.to) filter.until = parseTime('to', 'To', form.to);
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) throw badRequest('to', 'To must be later than From.');
  if (form.conversationId) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(form.conversationId)) throw badRequest('conversationId', 'A conversation id is letters, digits and dashes.');
    filter.conversationId = form.conversationId;
  }
  const before = query.before ? decodeKey(query.before) : undefined;
  return { form, filter, ...(before ? { before } : {}) };
}
