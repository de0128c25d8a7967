// What threadline reads from its environment (config.ts parses and validates it).

/** Everything threadline reads from its environment, validated once at start-up. */
export interface Config {
  httpHost: string;
  httpPort: number;
  smtpHost: string;
  smtpPort: number;
  dataDir: string;
  databaseUrl: string;
  outbound: OutboundTarget;
  dnsServers: string[];
  inboundDomain: string;
  senderDomain: string;
  /** null: generate one into dataDir on first start (see secret.ts). */
  secret: string | null;
  logLevel: string;
  /** Seconds to wait before each retry of a deferred delivery; past the last, the message fails. */
  retrySchedule: number[];
  /** How long start-up waits for an unreachable database before it gives up. */
  databaseWaitSeconds: number;
  /** How long a SIGTERM/SIGINT waits for work in progress before the process exits anyway. */
  shutdownSeconds: number;
  /** Default per-organization agentless send limit (Genesys's standard tier). */
  defaultRateLimitPerMinute: number;
  /** Invocations of outbound configurations an organization may make per hour (each up to 100 contacts). */
  outboundInvocationsPerHour: number;
  /** Parallel SMTP connections for relay delivery. */
  outboundConnections: number;
  /** TCP port used by `direct` delivery: 25, except when testing against a local server. */
  directPort: number;
  /** Seconds a new work item is reserved for the agent who completed the conversation's last one (0: off). */
  lastAgentSeconds: number;
  /** Threads that render, DKIM-sign and send outbound mail (compiled build only). */
  deliveryThreads: number;
  /** Threads that parse and authenticate inbound mail (compiled build only). */
  inboundThreads: number;
  /**
   * Addresses and ranges of reverse proxies in front of the HTTP API: from their requests the
   * client address is taken from X-Forwarded-For (login throttling counts by it).
   */
  trustedProxies: string[];
  /** How long one inbound message may keep its thread busy without a pause (not counting DNS waits). */
  inboundTimeLimitMs: number;
  /** The default policy for appending inbound replies to conversations (per organization, overridable). */
  inboundAuth: InboundAuthPolicy;
  /** Webhook URLs may point at private, loopback and link-local addresses (tests, a receiver on the same network). */
  webhookAllowPrivate: boolean;
  dns: {
    /** The host name mail reaches threadline at: MX target for the inbound domain and return paths. */
    publicHost: string;
    /** The SPF term that authorizes threadline's outbound mail, e.g. `a:mx.example.com`, `ip4:192.0.2.10`, `include:_spf.relay.example`. */
    spfMechanism: string;
    /** Seconds between periodic checks of each sender domain's records. */
    checkIntervalSeconds: number;
    /** RSA modulus length of new DKIM keys. */
    dkimBits: number;
    /** Seconds a rotated-out DKIM key stays published (retiring) before it is retired. */
    dkimRetireSeconds: number;
  };
  smtp: {
    maxBytes: number;
    maxRecipients: number;
    maxConnections: number;
    /** Connections one client address (an IPv6 /64) may hold; more get 421. */
    maxPerClient: number;
    /** Seconds a client has for each complete command line (the clock stops while it waits for us). */
    commandTimeoutSeconds: number;
    /** Bytes per second a message must arrive at, on average, once the command timeout is spent. */
    minDataRate: number;
    reverseLookup: boolean;
    /** Milliseconds before the 220 greeting; a client that speaks sooner gets 421 (0: greet at once). */
    greetingDelayMs: number;
    /** PEM files for STARTTLS; both or neither. */
    tlsKeyFile: string | null;
    tlsCertFile: string | null;
  };
}

export const INBOUND_AUTH_POLICIES = ['require', 'relaxed', 'monitor'] as const;
export type InboundAuthPolicy = (typeof INBOUND_AUTH_POLICIES)[number];

export type OutboundTarget = { kind: 'capture' } | { kind: 'direct' } | { kind: 'relay'; url: string };
