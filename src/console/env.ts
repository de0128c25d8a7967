import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { Services } from '../deps.js';
import type { HttpEnv } from '../http/env.js';
import type { ConsoleSession } from './sessions.service.js';

/** The request variables of the console: the API's (principal among them) and the session. */
export interface ConsoleEnv {
  Variables: HttpEnv['Variables'] & {
    session: ConsoleSession;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

/** What each group of console pages is given. */
export interface ConsoleDeps {
  services: Services;
  render: Render;
  /** Aborted when the service stops. */
  shutdown?: AbortSignal;
}

export interface PageOptions {
  title: string;
  /** The navigation entry to mark current. */
  current?: string;
  /** The page refreshes its live parts from /console/live. */
  live?: boolean;
  status?: 200 | 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503;
}

/** Renders a signed-in user's page inside the layout (render.tsx). */
export type Render = (c: ConsoleContext, options: PageOptions, body: Child) => Promise<Response>;
