import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '../../src/db/unavailable.js';

// Which failures are a temporary condition of ours (503 with Retry-After, SMTP 451, /readyz),
// and which are about the request.
describe('databaseUnavailable', () => {
  const err = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['SQLite full', err('SQLITE_FULL'), 'disk full'],
    ['PostgreSQL disk full (53100)', err('53100'), 'disk full'],
    ['the inbound spool file on a full disk', err('ENOSPC', 'ENOSPC: no space left on device, write'), 'disk full'],
    ['a quota reached', err('EDQUOT'), 'disk full'],
    ['SQLite busy', err('SQLITE_BUSY_SNAPSHOT'), 'database busy'],
    ['PostgreSQL refusing connections', err('ECONNREFUSED'), 'database unreachable'],
    ['PostgreSQL shutting down', err('57P01'), 'database unreachable'],
    ['a connection that died under a query', new Error('Connection terminated unexpectedly'), 'database unreachable'],
    ['in the cause chain', new Error('wrapped', { cause: err('ENOSPC') }), 'disk full'],
    ['a constraint violation', err('23505'), null],
    ['a file that is not there', err('ENOENT'), null],
  ])('%s', (_, e, expected) => {
    expect(databaseUnavailable(e)).toBe(expected);
  });
});
