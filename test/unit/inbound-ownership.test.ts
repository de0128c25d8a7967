import { describe, expect, it } from 'vitest';
import type { DnsResolver } from '../../src/dns/resolver.js';
import { checkOwnership, ownershipRecord } from '../../src/domains/inbound-ownership.js';

const TOKEN = '0123456789abcdef0123456789abcdef';
const answering = (txt: () => Promise<string[]>) => ({ txt }) as unknown as DnsResolver;

describe('checkOwnership', () => {
  it('names the record to publish', () => {
    expect(ownershipRecord('help.example.com', TOKEN)).toEqual({ host: '_threadline-verify.help.example.com', type: 'TXT', value: `threadline-verify=${TOKEN}` });
  });

  it.each([
    ['the token among other records', [` threadline-verify=${TOKEN} `, 'v=spf1 -all'], 'VERIFIED'],
    ['no record', [], 'PENDING'],
    ['unrelated records', ['google-site-verification=abc'], 'PENDING'],
    ["another claim's token", ['threadline-verify=ffffffffffffffffffffffffffffffff'], 'FAILED'],
  ])('%s: %s', async (_name, records, status) => {
    expect(
      (
        await checkOwnership(
          answering(async () => records),
          'help.example.com',
          TOKEN,
        )
      ).status,
    ).toBe(status);
  });

  it('says UNKNOWN, naming the lookup, when DNS does not answer', async () => {
    const r = await checkOwnership(
      answering(() => Promise.reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }))),
      'help.example.com',
      TOKEN,
    );
    expect(r).toEqual({ status: 'UNKNOWN', detail: expect.stringContaining('_threadline-verify.help.example.com failed (ETIMEOUT)') });
  });
});
