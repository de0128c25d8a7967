import type { z } from 'zod';
import { fromZodError } from '../http/errors.js';
import type { ConsoleContext } from './env.js';
import { CSRF_FIELD } from './guard.js';

/**
 * A form's fields (the body is already bounded and CSRF-checked by `action()`): single values
 * as strings, repeated ones (checkboxes) as arrays; empty text fields are left out, so that
 * an optional field not filled in is absent, as in the API's JSON.
 */
export async function formOf(c: ConsoleContext): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === CSRF_FIELD) continue;
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) continue;
    if (Array.isArray(value)) out[name] = values;
    else if (values[0]!.trim() !== '') out[name] = values[0]!.trim();
  }
  return out;
}

/** The form read by the API's own schema: a field that fails is named in the same 400 the API answers. */
export function valid<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw fromZodError(result.error, data);
  return result.data;
}

/** A date of the API's views (ISO 8601) as people read it, in UTC. */
export const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');
