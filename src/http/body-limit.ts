import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.js';
import type { HttpEnv } from './env.js';

/**
 * Refuses bodies over `maxBytes` with a 413. A request that declares its length is judged by
 * the header alone: Hono's bodyLimit reads `c.req.raw.body`, which makes the Node adapter build
 * a full web Request with a stream for every request, a sixth of a send's CPU. Chunked bodies
 * (no length) still go through bodyLimit, which counts as it reads. Node's HTTP parser already
 * refuses a body longer or shorter than its Content-Length.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<HttpEnv> {
  const tooLarge = () => {
    throw new AppError(413, 'request.entity.too.large', `The request body is larger than ${maxBytes} bytes.`);
  };
  const counting = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined || !/^\d+$/.test(length)) return counting(c, next);
    if (Number(length) > maxBytes) tooLarge();
    await next();
  };
}
