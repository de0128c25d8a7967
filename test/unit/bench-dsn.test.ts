import { describe, expect, it } from 'vitest';
import { dsnEml } from '../../bench/dsn.js';
import { readReport } from '../../src/bounces/read-report.js';
import { newId } from '../../src/ids.js';
import { bounceAddress, deriveTokenKeys, messageIdHeader } from '../../src/mail/tokens.js';

// bench:inbound --bounces measures bounce handling only if threadline reads its DSNs as the
// hard bounce of the message whose return path they were sent to.

const keys = deriveTokenKeys(Buffer.from('unit-test-secret-0123456789abcdef0123'));

describe('the benchmark DSN', () => {
  it('is an RFC 3464 hard bounce of our message, linked through its return path, of about the size asked', async () => {
    const id = newId();
    const returnPath = bounceAddress(keys, id, 'notify.example.com');
    const messageId = `<${messageIdHeader(keys, id, 'notify.example.com')}>`;
    const eml = dsnEml(
      { customer: 'customer-a7@example.com', subject: 'Your order A-10007 has shipped', messageId, returnPath, from: 'notifications@notify.example.com' },
      'dsn-1@mx.example.net',
      2048,
    );
    expect(eml.length).toBeGreaterThan(1900);
    expect(eml.length).toBeLessThanOrEqual(2048);

    const report = await readReport(Buffer.from(eml.replace(/\n/g, '\r\n')), { envelopeFrom: '', envelopeRecipient: returnPath, keys });
    expect(report).toMatchObject({ kind: 'dsn', messageId: id, linkedBy: 'verp', originalMessageId: messageId.slice(1, -1), truncated: false });
    expect(report.recipients).toEqual([expect.objectContaining({ recipient: 'customer-a7@example.com', action: 'failed', status: '5.1.1', class: 'hard' })]);
  });
});
