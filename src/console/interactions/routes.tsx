import { Hono } from 'hono';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { chartsRoutes } from './charts.js';
import { messageRoutes } from './message.js';
import { searchRoutes } from './search.js';

/** Interactions (issue 18, item 3): the message search, a message's and a conversation's pages, and the charts. */
export function interactionsRoutes(deps: ConsoleDeps, options: { dataDir: string }) {
  const r = new Hono<ConsoleEnv>();
  r.route('/', chartsRoutes(deps));
  r.route('/', searchRoutes(deps));
  r.route('/', messageRoutes(deps, options));
  return r;
}
