import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the contract defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.httpHost).toBe('127.0.0.1');
    expect(c.httpPort).toBe(3000);
    expect(c.smtpPort).toBe(2525);
    expect(c.outbound).toEqual({ kind: 'capture' });
    expect(c.databaseUrl).toMatch(/^sqlite:\/\/.*data\/threadline\.db$/);
    expect(c.inboundDomain).toBe('replies.localhost');
    expect(c.senderDomain).toBe('notify.localhost');
    expect(c.logLevel).toBe('info');
    expect(c.defaultRateLimitPerMinute).toBe(600);
    // A few hundred slow clients neither fill the server nor keep their slots.
    expect(c.smtp).toMatchObject({ maxConnections: 1000, maxPerClient: 50, commandTimeoutSeconds: 60, minDataRate: 500 });
    // Above zero, so that a client which speaks before the greeting is still caught.
    expect(c.smtp.greetingDelayMs).toBeGreaterThan(0);
    expect(loadConfig({ THREADLINE_SMTP_GREETING_DELAY_MS: '0' }).smtp.greetingDelayMs).toBe(0);
  });

  it('parses outbound targets and DNS servers', () => {
    expect(loadConfig({ THREADLINE_OUTBOUND_URL: 'smtp://127.0.0.1:2526' }).outbound).toEqual({ kind: 'relay', url: 'smtp://127.0.0.1:2526' });
    expect(loadConfig({ THREADLINE_OUTBOUND_URL: 'direct' }).outbound).toEqual({ kind: 'direct' });
    expect(loadConfig({ THREADLINE_DNS_SERVERS: '127.0.0.1:5353, 127.0.0.2' }).dnsServers).toEqual(['127.0.0.1:5353', '127.0.0.2']);
    expect(loadConfig({ THREADLINE_RETRY_SCHEDULE: '30s,2m,1h' }).retrySchedule).toEqual([30, 120, 3600]);
  });

  it('trusts no proxy unless told, then the addresses and ranges given', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ THREADLINE_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1,fd00::/8' }).trustedProxies).toEqual(['10.0.0.0/8', '192.0.2.1', 'fd00::/8']);
  });

  it.each([
    ['THREADLINE_HTTP_PORT', '70000'],
    ['THREADLINE_SMTP_PORT', 'abc'],
    ['THREADLINE_OUTBOUND_URL', 'ftp://x'],
    ['THREADLINE_DATABASE_URL', 'mysql://x'],
    ['THREADLINE_DNS_SERVERS', 'dns.example.com'],
    ['THREADLINE_INBOUND_DOMAIN', 'not a domain'],
    ['THREADLINE_LOG_LEVEL', 'loud'],
    ['THREADLINE_SECRET', 'short'],
    ['THREADLINE_RETRY_SCHEDULE', '5 minutes'],
    ['THREADLINE_SMTP_MAX_PER_CLIENT', '0'],
    ['THREADLINE_SMTP_COMMAND_TIMEOUT', '0s'],
    ['THREADLINE_SMTP_MIN_DATA_RATE', 'fast'],
    ['THREADLINE_SMTP_GREETING_DELAY_MS', '-1'],
    ['THREADLINE_SMTP_GREETING_DELAY_MS', '1.5'],
    ['THREADLINE_SMTP_GREETING_DELAY_MS', '60000'],
    ['THREADLINE_TRUSTED_PROXIES', 'proxy.example.com'],
    ['THREADLINE_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['THREADLINE_TRUSTED_PROXIES', '10.0.0.0/8/1'],
  ])('refuses a bad %s and names it', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message).toContain(name);
  });

  it('never repeats a secret or a URL password in its error', () => {
    expect(() => loadConfig({ THREADLINE_SECRET: 'hunter2' })).toThrow(/\[redacted\]/);
    try {
      loadConfig({ THREADLINE_DATABASE_URL: 'mysql://user:pw-s3cret@h/db' });
    } catch (e) {
      expect((e as Error).message).not.toContain('pw-s3cret');
    }
  });
});
