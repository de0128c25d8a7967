import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { type AuthSummary, authorizeReply } from '../../src/inbound/authenticate.js';
import { filedAddress, readAuthor, settleAuthor } from '../../src/inbound/author.js';

// The one reading of who wrote a message: the header block as written, read strictly, with
// mailparser's decoded display name kept only when it read the same single mailbox.

const message = (head: string) => Buffer.from(`${head}\r\nTo: support@replies.example.com\r\nSubject: Re: order\r\n\r\nThanks!\r\n`, 'latin1');
const read = async (head: string) => {
  const raw = message(head);
  return readAuthor(raw, (await simpleParser(raw)).from?.value);
};

describe('the author of a message', () => {
  it.each([
    ['From: Pat <pat@example.com>', 'pat@example.com', 'Pat'],
    ['From: "Pat Q. Public" <Pat@Example.COM>', 'pat@example.com', 'Pat Q. Public'],
    ['From: Pat Q. Public <pat@example.com>', 'pat@example.com', 'Pat Q. Public'],
    ['From: pat@example.com', 'pat@example.com', null],
    ['From: pat@example.com (Pat at home)', 'pat@example.com', null],
    ['From: Pat < pat@example.com >', 'pat@example.com', 'Pat'],
    ['From:\r\n  "Pat"\r\n <pat@example.com>', 'pat@example.com', 'Pat'],
    ['From: =?utf-8?q?Pat_M=C3=BCller?= <pat@example.com>', 'pat@example.com', 'Pat Müller'],
    ['From: Pat Müller <pat@example.com>', 'pat@example.com', null],
  ])('%j is written by %s', async (head, address, name) => {
    const a = await read(head);
    expect(a).toMatchObject({ problem: null, address });
    if (name !== null) expect(a.name).toBe(name);
  });

  it.each([
    ['Pat <pat@example.com>\r\nFrom : <mallory@evil.test>', /2 From fields/],
    ['Pat <pat@example.com>\r\nFROM: <mallory@evil.test>', /2 From fields/],
    ['Pat <pat@example.com>\r\nfrom\t: <mallory@evil.test>', /2 From fields/],
    ['undisclosed:;, <mallory@evil.test>', /more than one mailbox/],
    ['g: <pat@example.com>;, <mallory@evil.test>', /more than one mailbox/],
    ['g: <pat@example.com>;', /group syntax/],
    ['pat@example.com, mallory@evil.test', /more than one mailbox/],
    ['"Pat" <pat@example.com> <mallory@evil.test>', /exactly one <address>/],
    ['<pat@example.com>mallory@evil.test', /text after/],
    ['pat@example.com <mallory@evil.test>', /not a phrase/],
    ['=?utf-8?q?pat=40example.com?=', /address/],
    ['"pat@example.com"@evil.test', /quoted local part/],
    ['pat@[192.0.2.1]', /does not parse|address literal/],
    ['Pat <pat@example.com', /exactly one <address>/],
    ['"Pat <pat@example.com>', /unclosed quoted string/],
    ['Pat (x <pat@example.com>', /unclosed comment/],
    ['Pat <pat@example.com>\rFrom: <mallory@evil.test>', /control character/],
    ['', /address/],
  ])('From: %j has no single author', async (value, problem) => {
    const a = await read(`From: ${value}`);
    expect(a.address).toBeNull();
    expect(a.problem).toMatch(problem);
  });

  // Strictness must not cost real replies: every fixture whose From names one mailbox plainly
  // is read as mailparser reads it; the rest (an unquoted address as the display name, template
  // placeholders) have no author.
  it.each(fs.readdirSync('fixtures/replies').filter((f) => f.endsWith('.eml')))('of the real reply %s is the mailbox its From names', async (file) => {
    const raw = fs.readFileSync(`fixtures/replies/${file}`);
    const from = (await simpleParser(raw)).from?.value;
    const plain = from?.length === 1 && from[0]!.address?.includes('@') && !from[0]!.name?.includes('@');
    expect(readAuthor(raw, from)).toMatchObject(plain ? { address: from[0]!.address!.toLowerCase(), problem: null } : { address: null });
  });

  it('has none without a From field, whatever Sender or Reply-To say', async () => {
    expect((await read('Sender: pat@example.com\r\nReply-To: pat@example.com')).problem).toBe('the message has no From field');
  });

  it('is read from the header block only: a From line in the body is not one', async () => {
    const raw = Buffer.from('From: Pat <pat@example.com>\n\nFrom: <mallory@evil.test>\n', 'latin1');
    expect(readAuthor(raw, undefined)).toMatchObject({ address: 'pat@example.com', problem: null });
  });

  it('shows no display name that passes for an address or hides characters', async () => {
    const b64 = Buffer.from('Pat <pat@example.com>').toString('base64');
    expect(await read(`From: =?utf-8?b?${b64}?= <mallory@evil.test>`)).toMatchObject({ address: 'mallory@evil.test', name: null });
    expect(await read('From: "pat@example.com" <mallory@evil.test>')).toMatchObject({ address: 'mallory@evil.test', name: null });
    expect(await read('From: =?utf-8?q?Pat=E2=80=AE_moc=2Eelpmaxe?= <mallory@evil.test>')).toMatchObject({ name: 'Pat moc.elpmaxe' });
    // Decoded, the name holds a list: it is still one mailbox, and the name is not shown.
    const list = Buffer.from('Pat, <pat@example.com>').toString('base64');
    expect(await read(`From: =?utf-8?b?${list}?= <mallory@evil.test>`)).toMatchObject({ address: 'mallory@evil.test', name: null });
  });

  it('must be the From address the DMARC check evaluated', () => {
    const pat = { address: 'pat@example.com', name: 'Pat', problem: null } as const;
    expect(settleAuthor(pat, 'Pat@example.com')).toBe(pat);
    expect(settleAuthor(pat, 'mallory@evil.test').problem).toMatch(/DMARC check read its From address as mallory@evil\.test/);
    expect(settleAuthor(pat, null).problem).toMatch(/no single From address/);
  });

  it('files a message without an author under its envelope sender, never under a From guess', async () => {
    const a = await read('From: Pat <pat@example.com>\r\nFrom: <mallory@evil.test>');
    expect(filedAddress(a, 'Mallory@Evil.test')).toBe('mallory@evil.test');
    expect(filedAddress(a, '')).toBe('unknown@invalid');
  });
});

describe('the rule for appending a reply, without a single author', () => {
  const summary: AuthSummary = {
    dmarcFrom: null,
    fromDomain: null,
    spf: { result: 'pass', domain: 'example.com', aligned: false },
    dkim: [{ result: 'pass', domain: 'example.com', selector: 's1', aligned: false, comment: null }],
    dmarc: { result: 'none', policy: null, domain: null, comment: null },
    arc: { result: 'none' },
    publishesNothing: false,
  };
  const ambiguous = { address: null, name: null, problem: 'the message has 2 From fields' } as const;
  it.each(['require', 'relaxed', 'monitor'] as const)('holds it under %s, saying why', (policy) => {
    expect(authorizeReply(summary, ambiguous, 'pat@example.com', policy)).toEqual({
      policy,
      allowed: false,
      rule: 'ambiguous-author',
      reason: 'The author cannot be determined unambiguously: the message has 2 From fields',
    });
  });
  it('holds a strictly read author that is not the one DMARC evaluated', () => {
    const pat = { address: 'pat@example.com', name: null, problem: null } as const;
    const r = authorizeReply({ ...summary, dmarcFrom: 'mallory@evil.test', fromDomain: 'evil.test' }, pat, 'pat@example.com', 'require');
    expect(r).toMatchObject({ allowed: false, rule: 'ambiguous-author', reason: expect.stringContaining('mallory@evil.test') });
  });
});
