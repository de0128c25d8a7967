import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import type { HttpEnv } from '../../src/http/env.js';
import { renderError } from '../../src/http/errors.js';

// What Hono and its validators throw carries their parsers' own words; the caller gets ours.
describe('error bodies', () => {
  it.each([
    [400, 'Malformed FormData request. Cannot create a string longer than 0x1fffffe8 characters', 'bad.request'],
    [415, 'Unsupported Media Type at /internal/path', 'unsupported.media.type'],
    [413, 'Payload Too Large (stream internals)', 'request.entity.too.large'],
  ])('a %i keeps the internal text to itself', async (status, internal, code) => {
    const app = new Hono<HttpEnv>();
    app.onError((err, c) => renderError(c, err));
    app.post('/x', () => {
      throw new HTTPException(status as 400, { message: internal });
    });
    const res = await app.request('/x', { method: 'POST' });
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body).toMatchObject({ status, code, errors: [] });
    expect(JSON.stringify(body)).not.toContain(internal.split(' ').slice(-3).join(' '));
  });
});
