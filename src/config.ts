import path from 'node:path';
import { z } from 'zod';

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
  /** Default per-organization agentless send limit (Genesys's standard tier). */
  defaultRateLimitPerMinute: number;
  /** Parallel SMTP connections for relay delivery. */
  outboundConnections: number;
  /** TCP port used by `direct` delivery: 25, except when testing against a local server. */
  directPort: number;
  /** Seconds a new work item is reserved for the agent who completed the conversation's last one (0: off). */
  lastAgentSeconds: number;
  smtp: {
    maxBytes: number;
    maxRecipients: number;
    maxConnections: number;
    reverseLookup: boolean;
    /** PEM files for STARTTLS; both or neither. */
    tlsKeyFile: string | null;
    tlsCertFile: string | null;
  };
}

export type OutboundTarget =
  | { kind: 'capture' }
  | { kind: 'direct' }
  | { kind: 'relay'; url: string };

export class ConfigError extends Error {
  constructor(public readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const hostname = z.string().regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be a host name or IP address');
const domain = z
  .string()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a domain name such as replies.example.com');
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

// Each variable: its default and its parser. A parser throws a message; loadConfig names the variable.
const fields = {
  THREADLINE_HTTP_HOST: hostname.default('127.0.0.1'),
  THREADLINE_HTTP_PORT: port.default(3000),
  THREADLINE_SMTP_HOST: hostname.default('127.0.0.1'),
  THREADLINE_SMTP_PORT: port.default(2525),
  THREADLINE_DATA_DIR: z.string().min(1).default('./data'),
  THREADLINE_DATABASE_URL: z
    .string()
    .regex(/^(sqlite:\/\/.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite://PATH or postgres://user:pass@host:port/db')
    .optional(),
  THREADLINE_OUTBOUND_URL: z
    .string()
    .regex(/^(capture|direct|smtps?:\/\/.+)$/, 'must be capture, direct, smtp://host:port or smtps://user:pass@host:port')
    .default('capture'),
  THREADLINE_DNS_SERVERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return [];
      const servers = v.split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of servers) {
        if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/.test(s)) {
          ctx.addIssue({ code: 'custom', message: `"${s}" is not ip[:port]` });
        }
      }
      return servers;
    }),
  THREADLINE_INBOUND_DOMAIN: domain.default('replies.localhost'),
  THREADLINE_SENDER_DOMAIN: domain.default('notify.localhost'),
  THREADLINE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  THREADLINE_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  THREADLINE_RETRY_SCHEDULE: z
    .string()
    .default('1m,5m,15m,1h,4h,12h,24h,24h')
    .transform((v, ctx) => {
      const out: number[] = [];
      for (const part of v.split(',')) {
        const s = parseDuration(part);
        if (s === null) ctx.addIssue({ code: 'custom', message: `"${part}" is not a duration like 30s, 5m, 1h or 1d` });
        else out.push(s);
      }
      return out;
    }),
  THREADLINE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  THREADLINE_OUTBOUND_CONNECTIONS: z.coerce.number().int().min(1).max(500).default(20),
  THREADLINE_DIRECT_PORT: port.default(25),
  THREADLINE_LAST_AGENT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  THREADLINE_SMTP_MAX_BYTES: z.coerce.number().int().min(1024).max(200 * 1024 * 1024).default(30 * 1024 * 1024),
  THREADLINE_SMTP_MAX_RECIPIENTS: z.coerce.number().int().min(1).max(1000).default(50),
  THREADLINE_SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  THREADLINE_SMTP_REVERSE_LOOKUP: z.enum(['true', 'false']).default('false'),
  THREADLINE_SMTP_TLS_KEY: z.string().min(1).optional(),
  THREADLINE_SMTP_TLS_CERT: z.string().min(1).optional(),
} as const;

type Fields = typeof fields;
type Parsed = { [K in keyof Fields]: z.output<Fields[K]> };

/** Pure: reads only the object it is given. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const v = {} as Record<string, unknown>;
  for (const [name, schema] of Object.entries(fields)) {
    const raw = env[name];
    const result = (schema as z.ZodType).safeParse(raw === '' ? undefined : raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ConfigError(name, `${issue?.message ?? 'invalid value'} (got ${JSON.stringify(redactIfSecret(name, raw))})`);
    }
    v[name] = result.data;
  }
  const p = v as Parsed;
  if ((p.THREADLINE_SMTP_TLS_KEY === undefined) !== (p.THREADLINE_SMTP_TLS_CERT === undefined)) {
    const missing = p.THREADLINE_SMTP_TLS_KEY === undefined ? 'THREADLINE_SMTP_TLS_KEY' : 'THREADLINE_SMTP_TLS_CERT';
    throw new ConfigError(missing, 'STARTTLS needs both THREADLINE_SMTP_TLS_KEY and THREADLINE_SMTP_TLS_CERT');
  }
  const dataDir = path.resolve(p.THREADLINE_DATA_DIR);
  const url = p.THREADLINE_OUTBOUND_URL;
  return {
    httpHost: p.THREADLINE_HTTP_HOST,
    httpPort: p.THREADLINE_HTTP_PORT,
    smtpHost: p.THREADLINE_SMTP_HOST,
    smtpPort: p.THREADLINE_SMTP_PORT,
    dataDir,
    databaseUrl: p.THREADLINE_DATABASE_URL ?? `sqlite://${path.join(dataDir, 'threadline.db')}`,
    outbound: url === 'capture' ? { kind: 'capture' } : url === 'direct' ? { kind: 'direct' } : { kind: 'relay', url },
    dnsServers: p.THREADLINE_DNS_SERVERS,
    inboundDomain: p.THREADLINE_INBOUND_DOMAIN,
    senderDomain: p.THREADLINE_SENDER_DOMAIN,
    secret: p.THREADLINE_SECRET ?? null,
    logLevel: p.THREADLINE_LOG_LEVEL,
    retrySchedule: p.THREADLINE_RETRY_SCHEDULE,
    defaultRateLimitPerMinute: p.THREADLINE_RATE_LIMIT_PER_MINUTE,
    outboundConnections: p.THREADLINE_OUTBOUND_CONNECTIONS,
    directPort: p.THREADLINE_DIRECT_PORT,
    lastAgentSeconds: p.THREADLINE_LAST_AGENT_SECONDS,
    smtp: {
      maxBytes: p.THREADLINE_SMTP_MAX_BYTES,
      maxRecipients: p.THREADLINE_SMTP_MAX_RECIPIENTS,
      maxConnections: p.THREADLINE_SMTP_MAX_CONNECTIONS,
      reverseLookup: p.THREADLINE_SMTP_REVERSE_LOOKUP === 'true',
      tlsKeyFile: p.THREADLINE_SMTP_TLS_KEY ?? null,
      tlsCertFile: p.THREADLINE_SMTP_TLS_CERT ?? null,
    },
  };
}

function redactIfSecret(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return raw;
  if (name === 'THREADLINE_SECRET') return '[redacted]';
  // URLs may carry passwords: show them without.
  return raw.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:[redacted]@');
}
