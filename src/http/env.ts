import type { Principal } from '../auth/auth.service.js';
import type { Logger } from '../log.js';

export interface HttpEnv {
  Variables: {
    contextId: string;
    /** The request's logger (a child with its contextId). */
    log: () => Logger;
    principal: Principal;
  };
}
