import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { databaseUnavailable } from '../db/unavailable.js';
import { AppError } from '../errors.js';
import type { HttpEnv } from './env.js';

/** Genesys Cloud's error body; every failing route answers with it. */
export function errorBody(err: AppError, contextId: string) {
  return {
    status: err.status,
    code: err.code,
    message: err.message,
    messageParams: err.messageParams,
    contextId,
    details: err.details,
    errors: [],
  };
}

const valueAt = (input: unknown, path: readonly PropertyKey[]) =>
  path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
/** `toAddresses[0].email`, as the send limits name fields. */
const fieldName = (path: readonly PropertyKey[]) =>
  path
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
    .join('')
    .replace(/^\./, '');
const article = (type: string) => (type === 'array' || type === 'object' || type === 'integer' ? `an ${type}` : `a ${type}`);

/**
 * The first problem, naming its field: a missing field "is required", a field of the wrong
 * type says what it should be and what it was, an unknown field is refused by name (a typo
 * dropped silently would send something else than the caller meant). `input` is the request
 * part that was validated.
 */
export function fromZodError(error: ZodError, input?: unknown): AppError {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  if (issue?.code === 'unrecognized_keys') {
    const field = fieldName([...path, issue.keys[0]!]);
    return new AppError(400, 'bad.request', `${field}: is not a field of this request.`, [{ errorCode: 'unknown.field', fieldName: field }]);
  }
  const field = fieldName(path) || 'body';
  let what = issue?.message ?? 'is invalid';
  if (issue?.code === 'invalid_type') {
    const value = input === undefined ? undefined : valueAt(input, path);
    // Without the input, zod's own message still says what it received.
    const missing = input === undefined ? / received undefined$/.test(issue.message) : value === undefined;
    what = missing ? 'is required' : `must be ${article(issue.expected)}${input === undefined ? '' : ` (got ${kindOf(value)})`}`;
  }
  return new AppError(400, 'bad.request', `${field}: ${what}.`, [{ errorCode: 'invalid.value', fieldName: field }]);
}

/**
 * Hono's and its validators' refusals, in our words: their messages can carry a parser's own
 * text (a form parser's "Cannot create a string longer than …"), which is not for callers.
 */
function fromHttpException(status: number): AppError {
  if (status === 413) return new AppError(413, 'request.entity.too.large', 'The request body is too large.');
  if (status === 415) return new AppError(415, 'unsupported.media.type', 'The Content-Type is not one this route takes (application/json, or a form for /oauth/token).');
  if (status === 400)
    return new AppError(400, 'bad.request', 'The request body could not be parsed: send valid JSON (or, to /oauth/token, a URL-encoded form).', [
      { errorCode: 'invalid.value', fieldName: 'body' },
    ]);
  return new AppError(status, 'bad.request', 'The request could not be read.');
}

// RFC 6749 §5.2 error names, passed through as they are.
const OAUTH_ERRORS = new Set(['invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_request']);

/** The AppError a thrown value is shown as; what is not an AppError is logged here. */
export function appErrorOf(c: Context<HttpEnv>, err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException && err.status < 500) return fromHttpException(err.status);
  const cause = databaseUnavailable(err);
  if (cause) {
    // A temporary condition, not a fault of this request: the client should come back.
    c.get('log')?.().warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code } }, `request refused: ${cause}`);
    return new AppError(503, 'service.unavailable', `The service is temporarily unavailable (${cause}); try again shortly.`, [], { retryAfterSeconds: cause === 'disk full' ? 30 : 5 });
  }
  c.get('log')?.().error({ err }, 'request failed');
  return new AppError(500, 'internal.server.error', 'The server could not complete the request; quote the contextId when reporting it.');
}

/** Renders any thrown value. Internal errors are logged with their cause and shown only as a code. */
export function renderError(c: Context<HttpEnv>, err: unknown): Response {
  const contextId = c.get('contextId') ?? 'unknown';
  const app = appErrorOf(c, err);
  if (app.status >= 500 && err instanceof AppError) c.get('log')?.().error({ err }, 'request failed');
  if (app.retryAfterSeconds !== undefined) c.header('Retry-After', String(app.retryAfterSeconds));
  if (app.status === 401) c.header('WWW-Authenticate', 'Bearer');
  const body: Record<string, unknown> = errorBody(app, contextId);
  // RFC 6749 names for the token endpoint's own clients, beside Genesys's fields.
  if (c.req.path === '/oauth/token' && app.status < 500) {
    const rfc = [app.code, app.details[0]?.errorCode].find((e) => e !== undefined && OAUTH_ERRORS.has(e));
    body.error = rfc ?? (app.status === 400 ? 'invalid_request' : app.code);
    body.error_description = app.message;
  }
  return c.json(body, app.status as 400);
}
