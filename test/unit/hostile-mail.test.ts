import { describe, expect, it } from 'vitest';
import { INBOUND_LIMITS } from '../../src/inbound/limits.js';
import { prepare } from '../../src/inbound/prepare.js';
import { longHeaderLine, manyHeaderLines, nestedDivs, nestedMultiparts } from '../helpers/hostile-mail.js';

// Hostile bodies read in-line (as tests and the quarantine's release do): the size bounds alone
// keep each one quick, the message keeps what its headers say, and what was not read is named.

const headers = (id: string) => ({ From: 'Customer <customer@example.com>', To: 'support@replies.localhost', Subject: `Re: ${id}`, 'Message-ID': `<${id}@example.com>` });

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe('hostile mail, read in-line', () => {
  it('reads the start of an 11 MB reply of nested <div>s in seconds, keeping that HTML and skipping its reply text', async () => {
    const raw = Buffer.from(nestedDivs(headers('divs')));
    const { value: p, ms } = await timed(() => prepare(raw, 'customer@example.com'));
    // Unbounded, html-to-text alone took minutes on this message.
    expect(ms).toBeLessThan(10_000);
    expect(p).toMatchObject({ subject: 'Re: divs', messageIdHeader: 'divs@example.com', author: { address: 'customer@example.com' }, replyText: null, unparseable: null });
    // Only the start is parsed (the bytes are kept whole elsewhere): the HTML is what it holds.
    expect(p.html?.length).toBeGreaterThan(INBOUND_LIMITS.parseBytes / 2);
    expect(p.html?.length).toBeLessThanOrEqual(INBOUND_LIMITS.parseBytes);
    expect(p.skipped).toEqual([
      { stage: 'parse', reason: `the message is ${raw.length} bytes: its text was read from the first ${INBOUND_LIMITS.parseBytes}` },
      { stage: 'reply-text', reason: expect.stringMatching(/^HTML not converted to text: HTML too long/) },
    ]);
  });

  it('skips the reply text of short HTML nested too deep, naming the depth', async () => {
    const raw = Buffer.from(nestedDivs(headers('deep'), 20_000));
    const { value: p, ms } = await timed(() => prepare(raw, 'customer@example.com'));
    expect(ms).toBeLessThan(5_000);
    expect(p.skipped).toEqual([{ stage: 'reply-text', reason: expect.stringMatching(/nested deeper than 1000 levels/) }]);
  });

  it.each([
    ['2,000 nested multiparts', nestedMultiparts, /child nodes/],
    ['a 1 MiB header line', longHeaderLine, /header size/],
    ['100,000 header lines', manyHeaderLines, /header size/],
  ])('keeps mail it cannot parse (%s) as unparseable, with what its headers say', async (_name, make, reason) => {
    const raw = Buffer.from(make(headers('bomb')));
    const { value: p, ms } = await timed(() => prepare(raw, 'customer@example.com'));
    expect(ms).toBeLessThan(5_000);
    expect(p.unparseable).toMatch(reason);
    expect(p).toMatchObject({ subject: 'Re: bomb', messageIdHeader: 'bomb@example.com', author: { address: 'customer@example.com' }, text: null, html: null, replyText: null });
    expect(p.skipped).toEqual([{ stage: 'parse', reason: p.unparseable }]);
  });
});
