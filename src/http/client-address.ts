import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { HttpEnv } from './env.js';

/** The address of the peer that sent the request ('unknown' outside the Node adapter, as in app.request()). */
export function clientAddress(c: Context<HttpEnv>): string {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress ?? 'unknown';
}
