import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { type Config, INBOUND_AUTH_POLICIES } from './config.types.js';

// The shape of the configuration lives in config.types.ts; this module parses it.
export { type Config, INBOUND_AUTH_POLICIES, type InboundAuthPolicy, type OutboundTarget } from './config.types.js';

export class ConfigError extends Error {
  constructor(
    public readonly variable: string,
    detail: string,
  ) {
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
/** THREADLINE_SMTP_GREETING_DELAY_MS's default. */
export const GREETING_DELAY_MS = 10;
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
      const servers = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const s of servers) {
        if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/.test(s)) {
          ctx.addIssue({ code: 'custom', message: `"${s}" is not ip[:port]` });
        }
      }
      return servers;
    }),
  THREADLINE_TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return [];
      const entries = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const e of entries) {
        const [ip = '', bits, extra] = e.split('/');
        const max = isIP(ip) === 4 ? 32 : isIP(ip) === 6 ? 128 : 0;
        if (!max || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
          ctx.addIssue({ code: 'custom', message: `"${e}" is not an IP address or a range such as 10.0.0.0/8` });
        }
      }
      return entries;
    }),
  THREADLINE_INBOUND_DOMAIN: domain.default('replies.localhost'),
  THREADLINE_SENDER_DOMAIN: domain.default('notify.localhost'),
  THREADLINE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  THREADLINE_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  THREADLINE_DATABASE_WAIT_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  THREADLINE_SHUTDOWN_SECONDS: z.coerce.number().int().min(1).max(3_600).default(20),
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
  // Dynamics 365's limit on outbound invocations (msdyn_InvokeOutboundAPI).
  THREADLINE_OUTBOUND_INVOCATIONS_PER_HOUR: z.coerce.number().int().min(1).default(30_000),
  THREADLINE_OUTBOUND_CONNECTIONS: z.coerce.number().int().min(1).max(500).default(20),
  THREADLINE_DIRECT_PORT: port.default(25),
  THREADLINE_LAST_AGENT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  THREADLINE_SMTP_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(200 * 1024 * 1024)
    .default(30 * 1024 * 1024),
  THREADLINE_SMTP_MAX_RECIPIENTS: z.coerce.number().int().min(1).max(1000).default(50),
  THREADLINE_SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  // Postfix's smtpd_client_connection_count_limit default.
  THREADLINE_SMTP_MAX_PER_CLIENT: z.coerce.number().int().min(1).max(100_000).default(50),
  THREADLINE_SMTP_COMMAND_TIMEOUT: z
    .string()
    .default('60s')
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null || s < 1 || s > 3600) ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration from 1s to 1h, like 30s or 5m` });
      return s ?? 0;
    }),
  // Postfix's smtpd_min_data_rate default.
  THREADLINE_SMTP_MIN_DATA_RATE: z.coerce.number().int().min(1).max(1_000_000_000).default(500),
  THREADLINE_SMTP_REVERSE_LOOKUP: z.enum(['true', 'false']).default('false'),
  // Long enough that a client which speaks before the greeting is refused; short enough that one
  // message per connection is not capped by the wait (smtp-server's fixed 100 ms was).
  THREADLINE_SMTP_GREETING_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(GREETING_DELAY_MS),
  THREADLINE_WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  THREADLINE_DELIVERY_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  THREADLINE_INBOUND_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  THREADLINE_INBOUND_TIME_LIMIT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  THREADLINE_INBOUND_AUTH: z.enum(INBOUND_AUTH_POLICIES).default('require'),
  THREADLINE_PUBLIC_HOST: domain.optional(),
  THREADLINE_SPF_MECHANISM: z
    .string()
    .regex(/^(a|mx|a:[a-z0-9.-]+|mx:[a-z0-9.-]+|ip4:[0-9./]+|ip6:[0-9a-f:./]+|include:[a-z0-9._-]+)$/i, 'must be one SPF term: a:HOST, mx:HOST, ip4:ADDR[/N], ip6:ADDR[/N] or include:DOMAIN')
    .optional(),
  THREADLINE_DNS_CHECK_INTERVAL: z
    .string()
    .default('1h')
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null || s < 10) ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration of at least 10s, like 30m or 1h` });
      return s ?? 0;
    }),
  THREADLINE_DKIM_BITS: z.coerce
    .number()
    .int()
    .refine((n) => n === 1024 || n === 2048 || n === 3072 || n === 4096, 'must be 1024, 2048, 3072 or 4096')
    .default(2048),
  THREADLINE_DKIM_RETIRE_AFTER: z
    .string()
    .default('7d')
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null) ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration like 2d or 7d` });
      return s ?? 0;
    }),
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
  const publicHost = p.THREADLINE_PUBLIC_HOST ?? p.THREADLINE_INBOUND_DOMAIN;
  return {
    httpHost: p.THREADLINE_HTTP_HOST,
    httpPort: p.THREADLINE_HTTP_PORT,
    smtpHost: p.THREADLINE_SMTP_HOST,
    smtpPort: p.THREADLINE_SMTP_PORT,
    dataDir,
    databaseUrl: p.THREADLINE_DATABASE_URL ?? `sqlite://${path.join(dataDir, 'threadline.db')}`,
    outbound: url === 'capture' ? { kind: 'capture' } : url === 'direct' ? { kind: 'direct' } : { kind: 'relay', url },
    dnsServers: p.THREADLINE_DNS_SERVERS,
    trustedProxies: p.THREADLINE_TRUSTED_PROXIES,
    inboundDomain: p.THREADLINE_INBOUND_DOMAIN,
    senderDomain: p.THREADLINE_SENDER_DOMAIN,
    secret: p.THREADLINE_SECRET ?? null,
    logLevel: p.THREADLINE_LOG_LEVEL,
    databaseWaitSeconds: p.THREADLINE_DATABASE_WAIT_SECONDS,
    shutdownSeconds: p.THREADLINE_SHUTDOWN_SECONDS,
    retrySchedule: p.THREADLINE_RETRY_SCHEDULE,
    defaultRateLimitPerMinute: p.THREADLINE_RATE_LIMIT_PER_MINUTE,
    outboundInvocationsPerHour: p.THREADLINE_OUTBOUND_INVOCATIONS_PER_HOUR,
    outboundConnections: p.THREADLINE_OUTBOUND_CONNECTIONS,
    directPort: p.THREADLINE_DIRECT_PORT,
    lastAgentSeconds: p.THREADLINE_LAST_AGENT_SECONDS,
    // One per core: delivery threads run at a lower priority (delivery-thread.ts), so they take
    // what the main thread (HTTP, inbound SMTP, the database) leaves; on bench:send a thread per
    // core delivers more and accepts a little less than one thread (README, "Benchmarks").
    deliveryThreads: p.THREADLINE_DELIVERY_THREADS ?? Math.max(1, Math.min(4, os.availableParallelism())),
    inboundThreads: p.THREADLINE_INBOUND_THREADS ?? Math.max(1, Math.min(4, os.availableParallelism() - 1)),
    inboundTimeLimitMs: p.THREADLINE_INBOUND_TIME_LIMIT_MS,
    inboundAuth: p.THREADLINE_INBOUND_AUTH,
    webhookAllowPrivate: p.THREADLINE_WEBHOOK_ALLOW_PRIVATE === 'true',
    dns: {
      publicHost,
      spfMechanism: p.THREADLINE_SPF_MECHANISM?.toLowerCase() ?? defaultSpfMechanism(url, publicHost),
      checkIntervalSeconds: p.THREADLINE_DNS_CHECK_INTERVAL,
      dkimBits: p.THREADLINE_DKIM_BITS,
      dkimRetireSeconds: p.THREADLINE_DKIM_RETIRE_AFTER,
    },
    smtp: {
      maxBytes: p.THREADLINE_SMTP_MAX_BYTES,
      maxRecipients: p.THREADLINE_SMTP_MAX_RECIPIENTS,
      maxConnections: p.THREADLINE_SMTP_MAX_CONNECTIONS,
      maxPerClient: p.THREADLINE_SMTP_MAX_PER_CLIENT,
      commandTimeoutSeconds: p.THREADLINE_SMTP_COMMAND_TIMEOUT,
      minDataRate: p.THREADLINE_SMTP_MIN_DATA_RATE,
      reverseLookup: p.THREADLINE_SMTP_REVERSE_LOOKUP === 'true',
      greetingDelayMs: p.THREADLINE_SMTP_GREETING_DELAY_MS,
      tlsKeyFile: p.THREADLINE_SMTP_TLS_KEY ?? null,
      tlsCertFile: p.THREADLINE_SMTP_TLS_CERT ?? null,
    },
  };
}

/**
 * Relaying: the relay's host (its address, or `a:` its name) is what receivers see; direct
 * delivery: this machine, by its public name.
 */
function defaultSpfMechanism(outboundUrl: string, publicHost: string): string {
  if (!/^smtps?:/.test(outboundUrl)) return `a:${publicHost}`;
  const host = new URL(outboundUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(host) === 4 ? `ip4:${host}` : isIP(host) === 6 ? `ip6:${host}` : `a:${host}`;
}

function redactIfSecret(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return raw;
  if (name === 'THREADLINE_SECRET') return '[redacted]';
  // URLs may carry passwords: show them without.
  return raw.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:[redacted]@');
}
