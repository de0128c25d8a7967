import { readdirSync, readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { classifyInbound, type InboundKind } from '../../src/inbound/classify.js';

// Every fixture in these folders is classified; the folder says what kind it is (see each
// folder's SOURCES.md) unless DECIDED says otherwise, with the reason.
const FOLDER_KIND: Record<string, InboundKind> = {
  autoreplies: 'auto_reply',
  bounces: 'bounce',
  complaints: 'complaint',
  replies: 'reply',
};

const DECIDED: Record<string, { kind: InboundKind; why: string }> = {
  // SOURCES.md's NEGATIVE control: an Exim bounce that also says Auto-Submitted: auto-replied.
  'autoreplies/bounceparser__non-autoreply.msg.eml': { kind: 'bounce', why: 'a bounce, whatever Auto-Submitted says' },
  // Challenge-response sent as a real RFC 3464 report (Action: failed, Status 4.7.0): the
  // message was held, not delivered, and the transient status tells the delivery side so.
  'autoreplies/bounceparser__boxbe-cr.msg.eml': { kind: 'bounce', why: 'challenge-response inside a DSN' },
  // Exim's "message delayed 48 hours" from Mailer-Daemon: the same kind of notice as
  // bounces/php-bounce-handler__29.eml (72 hours), so both go to the delivery side, which
  // tells a delay from a failure.
  'autoreplies/php-bounce-handler__46.eml': { kind: 'bounce', why: 'delay warning from the mailer daemon' },
  // "Bounce-like notification that sisimai treats as not-a-bounce": postmaster@, null Return-Path,
  // subject "email bounce notification", body "rejected … Mailbox full". For us a delivery
  // failure, not something a person wrote: bounce.
  'autoreplies/sisimai__rb-issue-368-bug.eml': { kind: 'bounce', why: 'postmaster rejection notice' },
  // Hotmail's JMRP complaint, the same format as complaints/php-bounce-handler__fbl-hotmail.txt.eml.
  'bounces/php-bounce-handler__hotmailbounce.txt.eml': { kind: 'complaint', why: 'JMRP complaint filed under bounces' },
  // Kept as the folders have them, for the record: bounceparser__bluebottle (challenge-response
  // with no DSN) is an auto_reply, found by its X-Bluebottle-Request header; bounceparser__warning-5
  // ("not a valid user here" from <>, no subject) is an auto_reply by Auto-Submitted, as a
  // header-only classifier cannot see that the body is a rejection.
};

// Bounces nothing in the headers gives away. What the classifier returns today is asserted so
// that a change in behaviour is seen.
const KNOWN_LIMITATIONS: Record<string, { actual: InboundKind; why: string }> = {
  'bounces/php-bounce-handler__exchange1.eml': {
    actual: 'reply',
    why: 'the file starts with a blank line, so every header is parsed as body',
  },
  'bounces/sisimai__lhost-amazonses-09.eml': {
    actual: 'reply',
    why: 'an SNS "AWS Notification Message" whose JSON body is the bounce; headers are ordinary',
  },
  'bounces/sisimai__lhost-apachejames-01.eml': {
    actual: 'reply',
    why: 'from post_master@ with subject "Re:Test message": no bounce subject, no DSN structure',
  },
};

const root = new URL('../../fixtures/', import.meta.url);
const fixtures = Object.keys(FOLDER_KIND).flatMap((folder) =>
  readdirSync(new URL(`${folder}/`, root))
    .filter((f) => f.endsWith('.eml'))
    .map((f) => `${folder}/${f}`),
);
const parse = (path: string) => simpleParser(readFileSync(new URL(path, root)));
const expected = (path: string) => DECIDED[path]?.kind ?? FOLDER_KIND[path.split('/')[0]!]!;

describe('classifyInbound over fixtures', () => {
  it('has every decided or limited fixture on disk', () => {
    expect(fixtures).toEqual(expect.arrayContaining([...Object.keys(DECIDED), ...Object.keys(KNOWN_LIMITATIONS)]));
  });

  it.each(fixtures.filter((f) => !(f in KNOWN_LIMITATIONS)))('%s', async (path) => {
    const result = classifyInbound(await parse(path));
    expect(result.kind, result.reason).toBe(expected(path));
    expect(result.reason).not.toBe('');
  });
});

describe('classifyInbound known limitations', () => {
  it.each(Object.entries(KNOWN_LIMITATIONS))('%s', async (path, { actual }) => {
    expect(classifyInbound(await parse(path)).kind).toBe(actual);
    expect(actual).not.toBe(expected(path));
  });
});

describe('classifyInbound signals', () => {
  const mail = (headers: string) => simpleParser(`${headers.trim().replace(/\n/g, '\r\n')}\r\n\r\nHello\r\n`);
  const kindOf = async (headers: string, envelopeFrom?: string) => classifyInbound(await mail(headers), envelopeFrom);
  const customer = 'From: Ann <ann@example.com>\nSubject: Re: Your parcel has shipped';

  it('names the signal that decided', async () => {
    expect(await kindOf(`${customer}\nAuto-Submitted: auto-generated (failure)`)).toEqual({ kind: 'auto_reply', reason: 'Auto-Submitted: auto-generated' });
    expect(await kindOf(customer)).toEqual({ kind: 'reply', reason: 'no automated-mail signal' });
  });

  it.each([
    ['Auto-Submitted: no', `${customer}\nAuto-Submitted: no`],
    ['X-Auto-Response-Suppress alone (Outlook sets it on ordinary mail)', `${customer}\nX-Auto-Response-Suppress: All`],
    ['Precedence: bulk alone (lists and forwarders add it)', `${customer}\nPrecedence: bulk\nReturn-Path: <ann@example.com>`],
    ['an auto-reply phrase inside the subject', 'From: ann@example.com\nSubject: Re: Automatic reply settings in my account'],
    ['a bounce subject from a person', 'From: ann@example.com\nSubject: Fwd: Undeliverable: Your parcel has shipped'],
  ])('keeps a reply with %s', async (_, headers) => {
    expect((await kindOf(headers)).kind).toBe('reply');
  });

  it.each([
    ['Automatische Antwort: Ihre Sendung'],
    ['Réponse automatique : Votre colis'],
    ['Abwesenheitsnotiz: Ihre Sendung'],
    ['Autosvar: Din försändelse'],
    ['Re: Your parcel (Automatic Response)'],
    ['Out of Office: Your parcel has shipped'],
  ])('takes "%s" for an out-of-office reply', async (subject) => {
    expect(await kindOf(`From: ann@example.com\nSubject: ${subject}`)).toEqual({ kind: 'auto_reply', reason: 'subject: out-of-office marker' });
  });

  it('uses the SMTP envelope sender over the Return-Path header when given one', async () => {
    const headers = `${customer}\nPrecedence: junk`;
    expect((await kindOf(headers)).kind).toBe('reply');
    expect(await kindOf(headers, '')).toEqual({ kind: 'auto_reply', reason: 'null Return-Path with Precedence: junk' });
    expect((await kindOf(`${headers}\nReturn-Path: <>`, 'ann@example.com')).kind).toBe('reply');
  });

  it('decides a bounce before an auto-reply and a complaint before both', async () => {
    const daemon = 'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nAuto-Submitted: auto-replied';
    expect(await kindOf(`${daemon}\nSubject: Undelivered Mail Returned to Sender`)).toEqual({ kind: 'bounce', reason: 'bounce subject from mailer-daemon' });
    expect((await kindOf(`${daemon}\nSubject: Out of Office`)).kind).toBe('auto_reply');
    const arf = 'Content-Type: multipart/report; report-type=feedback-report; boundary=x\nX-Failed-Recipients: a@example.com';
    expect((await kindOf(`${customer}\n${arf}`)).kind).toBe('complaint');
  });
});
