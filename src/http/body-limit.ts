import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.js';
import { byteBudget } from '../threads/byte-budget.js';
import type { HttpEnv } from './env.js';

/**
 * Large request bodies handled at once. Reading, parsing, validating and storing a body holds
 * several copies of it: fifty large sends at once would hold fifty times that; past the budget
 * they wait their turn (their bytes still in the socket). Small bodies never wait.
 */
const BODY_BUDGET_BYTES = 16 * 1024 * 1024;
const UNBUDGETED_BYTES = 256 * 1024;

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
  const budget = byteBudget(BODY_BUDGET_BYTES);
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined || !/^\d+$/.test(length)) return budget.run(maxBytes, () => counting(c, next));
    const bytes = Number(length);
    if (bytes > maxBytes) tooLarge();
    if (bytes <= UNBUDGETED_BYTES) return next();
    await budget.run(bytes, next);
  };
}
