import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/delivery/classify.js';
import { targetOf } from '../../src/delivery/relay-watch.js';

// Which failed attempts wait for their relay or MX to answer a probe (relay-watch.ts), and which
// are about the message itself and keep their retry delay.
describe('classifyError', () => {
  const cases: Array<[string, Record<string, unknown>, { kind: string; unreachable?: boolean }]> = [
    ['connection refused', { code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:2' }, { kind: 'deferred', unreachable: true }],
    ['closed before the greeting', { code: 'ECONNECTION', command: 'CONN', message: 'closed' }, { kind: 'deferred', unreachable: true }],
    ['no greeting in time', { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' }, { kind: 'deferred', unreachable: true }],
    ['421 service not available', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 421, response: '421 4.3.2 shutting down' }, { kind: 'deferred', unreachable: true }],
    ['451 for this recipient', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451, response: '451 4.7.1 greylisted' }, { kind: 'deferred' }],
    ['connection lost during DATA', { code: 'ESOCKET', command: 'DATA', message: 'socket hang up' }, { kind: 'deferred' }],
    ['550 unknown user', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 unknown' }, { kind: 'failed' }],
  ];
  for (const [name, err, expected] of cases) {
    it(name, () => {
      const outcome = classifyError(Object.assign(new Error(String(err.message ?? err.response)), err));
      expect(outcome.kind).toBe(expected.kind);
      expect('unreachable' in outcome && outcome.unreachable === true).toBe(expected.unreachable ?? false);
    });
  }
});

describe('targetOf', () => {
  it('names the relay for every recipient, the domain in direct delivery, nothing in capture', () => {
    expect(targetOf({ target: { kind: 'relay', url: 'smtp://user:pw@[::1]:2525' } }, 'a@example.com')).toBe('relay ::1:2525');
    expect(targetOf({ target: { kind: 'relay', url: 'smtps://relay.example.net' } }, 'a@example.com')).toBe('relay relay.example.net:465');
    expect(targetOf({ target: { kind: 'direct' } }, 'Pat@Example.COM')).toBe('mx example.com');
    expect(targetOf({ target: { kind: 'capture' } }, 'a@example.com')).toBeNull();
  });
});
