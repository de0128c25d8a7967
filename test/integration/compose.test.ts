import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `docker compose config` without an engine: Debian's docker-compose parses and validates it.
describe('docker-compose.yml', () => {
  it('is valid and runs threadline on PostgreSQL with health checks and volumes', () => {
    const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      env: { PATH: process.env.PATH, THREADLINE_SECRET: 'compose-test-secret-0123456789abcdef0123' },
      encoding: 'utf8',
    });
    expect(res.error, 'docker-compose is not installed (apt-get install docker-compose)').toBeUndefined();
    expect(res.status, res.stderr).toBe(0);
    const cfg = res.stdout;
    expect(cfg).toMatch(/postgres:\n/);
    expect(cfg).toContain('THREADLINE_DATABASE_URL: postgres://threadline:threadline@postgres:5432/threadline');
    expect(cfg).toContain('condition: service_healthy');
    expect(cfg.match(/healthcheck:/g)).toHaveLength(2);
    expect(cfg).toMatch(/pgdata/);
  });

  it('refuses to start without a shared secret', () => {
    const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('THREADLINE_SECRET');
  });
});
