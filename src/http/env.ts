import type { Principal } from '../auth/auth.service.js';
import type { Logger } from '../log.js';

export interface HttpEnv {
  Variables: {
    contextId: string;
    /** The request's logger (a child with its contextId). */
    log: () => Logger;
    principal: Principal;
    /** The client's address: the peer's, or behind a trusted proxy the one it forwarded (client-address.ts). */
    clientAddress: () => string;
    /** Whether the client reached us over TLS, here or at a trusted proxy (client-address.ts). */
    secureRequest: () => boolean;
  };
}
