/**
 * One error vocabulary. `code` is stable and public (Genesys's codes where Genesys has one),
 * `message` is safe to show, `cause` is private and only ever logged.
 */
export interface ErrorDetail {
  errorCode: string;
  fieldName?: string;
  entityId?: string;
  entityName?: string;
}

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details: ErrorDetail[] = [],
    options?: { cause?: unknown; retryAfterSeconds?: number; messageParams?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.messageParams = options?.messageParams ?? {};
  }
  readonly retryAfterSeconds: number | undefined;
  readonly messageParams: Record<string, string>;
}

export const badRequest = (fieldName: string, message: string, errorCode = 'invalid.value') => new AppError(400, 'bad.request', message, [{ errorCode, fieldName }]);

export const unauthorized = (message = 'Authentication is required: send a bearer token from POST /oauth/token.') => new AppError(401, 'authentication.required', message);

export const forbidden = (permission: string) =>
  new AppError(403, 'missing.any.permissions', `This client lacks the permission ${permission}.`, [{ errorCode: 'missing.permission', entityName: permission }]);

export const notFound = (what: string) => new AppError(404, 'not.found', `${what} was not found.`);

export const conflict = (code: string, message: string) => new AppError(409, code, message);

export const tooManyRequests = (message: string, retryAfterSeconds: number) => new AppError(429, 'too.many.requests.retry.after', message, [], { retryAfterSeconds });
