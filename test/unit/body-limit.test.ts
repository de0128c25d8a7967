import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { limitBody } from '../../src/http/body-limit.js';
import type { HttpEnv } from '../../src/http/env.js';
import { renderError } from '../../src/http/errors.js';

// The middleware without the Node adapter (its web-stream path); test/integration/body-limits
// covers it on a real socket.
function app(maxBytes: number) {
  const a = new Hono<HttpEnv>();
  a.onError((err, c) => renderError(c, err));
  a.post('/echo', limitBody(maxBytes), async (c) => c.json({ got: await c.req.json() }));
  return a;
}
const streamed = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const ch of text) controller.enqueue(new TextEncoder().encode(ch));
      controller.close();
    },
  });
const post = (maxBytes: number, body: string | ReadableStream<Uint8Array>) =>
  app(maxBytes).request('/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);

describe('limitBody', () => {
  it('hands a body within the limit on to the handler, streamed or not', async () => {
    for (const body of ['{"a":[1]}', streamed('{"a":[1]}')]) {
      const res = await post(9, body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: { a: [1] } });
    }
  });

  it('refuses one byte more with 413, streamed or declared', async () => {
    for (const body of ['{"a":[12]}', streamed('{"a":[12]}')]) {
      const res = await post(9, body);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: 'request.entity.too.large', message: 'The request body is larger than 9 bytes.' });
    }
  });

  it('refuses JSON nested past the bound with a 400 naming the body', async () => {
    const res = await post(1000, `${'['.repeat(33)}${']'.repeat(33)}`);
    expect(res.status).toBe(400);
    expect((await res.json()).details[0].fieldName).toBe('body');
  });
});
