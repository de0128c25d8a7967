import { OpenAPIHono, z } from '@hono/zod-openapi';
import { requirePermission } from './auth.js';
import { BODY_LIMITS, limitBody } from './body-limit.js';
import type { HttpEnv } from './env.js';
import { fromZodError } from './errors.js';

/** One router per area; a request that fails its schema becomes a Genesys 400 naming the field. */
export function newRouter() {
  return new OpenAPIHono<HttpEnv>({
    defaultHook: (result) => {
      if (!result.success) throw fromZodError(result.error, (result as { data?: unknown }).data);
    },
  });
}

export const ErrorBodySchema = z
  .object({
    status: z.number(),
    code: z.string(),
    message: z.string(),
    messageParams: z.record(z.string(), z.string()),
    contextId: z.string(),
    details: z.array(z.object({ errorCode: z.string(), fieldName: z.string().optional() })),
    errors: z.array(z.unknown()),
  })
  .openapi('ErrorBody');

const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBodySchema } } });

/** The error responses every authenticated route can give. */
export const standardErrors = {
  400: error('The request is invalid; `details[].fieldName` names the field.'),
  401: error('No valid bearer token.'),
  403: error('The client lacks the permission.'),
  404: error('Not found in this organization.'),
  413: error('The request body is larger than the route takes (`x-max-body-bytes`).'),
} as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const bearer = [{ bearer: [] as string[] }];

/**
 * What every /api/v2 route declares, spread into its `createRoute`: the permissions it needs
 * (any one of them; none: any valid token) and the largest body it takes. Both are checked by
 * route middleware, which runs before zod reads and validates the body, the permission first,
 * so a caller without it never has its body read. Both are written into the OpenAPI document:
 * `x-permissions`, one `security` alternative per permission, `x-max-body-bytes`.
 */
export function permit(permissions: readonly string[], maxBodyBytes: number = BODY_LIMITS.json) {
  return {
    security: permissions.length > 0 ? permissions.map((p) => ({ bearer: [p] })) : bearer,
    'x-permissions': [...permissions],
    'x-max-body-bytes': maxBodyBytes,
    middleware: [requirePermission(permissions), limitBody(maxBodyBytes)],
  };
}

/** The same for a route anyone may call (the token endpoint): only the body limit. */
export function publicRoute(maxBodyBytes: number) {
  return { 'x-max-body-bytes': maxBodyBytes, middleware: [limitBody(maxBodyBytes)] };
}
