import type { Principal } from '../auth/auth.service.js';
import type { Logger } from '../log.js';

export interface HttpEnv {
  Variables: {
    contextId: string;
    log: Logger;
    principal: Principal;
  };
}
