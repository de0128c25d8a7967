import { OpenAPIHono, z } from '@hono/zod-openapi';
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
