import { describe, expect, it } from 'vitest';
import { checkCompose, interpolate } from '../helpers/compose.js';

// docker-compose.yml checked without a Docker engine or docker-compose: interpolated and
// validated against the Compose specification's JSON schema (test/helpers/compose.ts).
const env = { THREADLINE_SECRET: 'compose-test-secret-0123456789abcdef0123' };

describe('docker-compose.yml', () => {
  it('is valid and runs threadline on PostgreSQL with health checks and volumes', () => {
    const { config, errors } = checkCompose('docker-compose.yml', env);
    expect(errors).toEqual([]);
    const { postgres, threadline } = config.services;
    expect(postgres.image).toMatch(/^postgres:/);
    expect(threadline.environment.THREADLINE_DATABASE_URL).toBe('postgres://threadline:threadline@postgres:5432/threadline');
    expect(threadline.environment.THREADLINE_SECRET).toBe(env.THREADLINE_SECRET);
    expect(threadline.depends_on.postgres.condition).toBe('service_healthy');
    expect(postgres.healthcheck.test).toContain('pg_isready -U threadline -d threadline');
    expect(threadline.healthcheck.test.join(' ')).toContain('/readyz');
    expect(postgres.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(Object.keys(config.volumes)).toEqual(expect.arrayContaining(['pgdata', 'threadline-data']));
  });

  it('refuses to start without a shared secret', () => {
    expect(() => checkCompose('docker-compose.yml', {})).toThrow(/THREADLINE_SECRET/);
  });

  it('the check itself catches what docker compose would refuse', () => {
    // A misspelt key and a wrong type, as a person editing the file might write them.
    const { errors } = checkCompose('docker-compose.yml', env, (doc) => {
      doc.services.threadline.healthchek = doc.services.threadline.healthcheck;
      doc.services.postgres.volumes = 'pgdata';
    });
    expect(errors).toEqual(expect.arrayContaining(['/services/threadline: must NOT have additional properties (healthchek)', '/services/postgres/volumes: must be array']));
  });

  it('interpolates as the Compose specification says', () => {
    const vars = { SET: 'x', EMPTY: '' };
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: Compose's own ${VAR} syntax, in plain strings on purpose
    expect(interpolate('$$SET ${SET} $SET ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${SET:?m}', vars)).toBe('$SET x x d d  d x');
    expect(() => interpolate('${EMPTY:?say so}', vars)).toThrow('EMPTY is missing a value: say so');
    expect(interpolate('${EMPTY?fine}', vars)).toBe('');
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: the Compose strings end here
  });
});
