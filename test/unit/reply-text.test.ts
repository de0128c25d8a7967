import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractReplyText } from '../../src/inbound/reply-text.js';

// Expected replies were written by reading each fixture: the lines the customer typed above the
// quoted history. Blank lines are left out of the comparison (how paragraphs are spaced is the
// client's and html-to-text's choice, not the customer's words). `signOff` lines are a closing
// ("Thanks, Alex") that the parser may drop as a signature: both outcomes are accepted.
interface Case {
  file: string;
  reply: string[];
  signOff?: string[];
}

const dir = new URL('../../fixtures/reply_bodies/', import.meta.url);

function extract(file: string) {
  const body = readFileSync(new URL(file, dir), 'utf8');
  return file.endsWith('.html') ? extractReplyText({ text: null, html: body }) : extractReplyText({ text: body, html: null });
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');

const LOREM = [
  'Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra sodales ante sem sit amet metus.',
  'Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis consectetur ex libero eget ante.',
  'Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis ex a rutrum.',
  'Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis lectus urna,',
  'et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh.',
];
const TALON_REPLY = { reply: ['Hi. I am fine.'], signOff: ['Thanks,', 'Alex'] };

const EXTRACTED: Case[] = [
  { file: 'crisp-erp__email_french_dash_separator.txt', reply: LOREM },
  { file: 'crisp-erp__email_german_outlook.txt', reply: LOREM },
  { file: 'crisp-erp__email_gmail_split_line_from.txt', reply: LOREM },
  { file: 'crisp-erp__email_ios_outlook.txt', reply: LOREM },
  { file: 'crisp-erp__email_ios_outlook_fr.txt', reply: LOREM },
  { file: 'crisp-erp__email_msn.txt', reply: LOREM },
  { file: 'crisp-erp__email_norwegian_gmail.txt', reply: LOREM },
  { file: 'crisp-erp__email_original_message.txt', reply: LOREM },
  { file: 'crisp-erp__email_outlook_split_line_from.txt', reply: LOREM },
  { file: 'crisp-erp__email_russian.txt', reply: LOREM },
  {
    file: 'crisp-erp__email_reply_header.txt',
    reply: [
      'This is the latest reply.',
      'The thread contains two previous replies, and the most recent reply header has a line break in it.',
      "If we don't patch the line break, the reply header ends up in THIS fragment, instead of in the quoted fragment.",
      "On the one hand, there could be a line in the reply starting with the word 'On.'",
      'On the other hand, it could happen TWICE!',
    ],
    signOff: ['Stranger'],
  },
  {
    file: 'crisp-erp__email_tricky_18_inline_reply.txt',
    reply: ['I think option A is great.', 'Option B has some drawbacks.', 'Option C is not suitable for our use case.'],
  },
  { file: 'crisp-erp__email_tricky_9_nested_quotes.txt', reply: ['I agree with the points below.'] },
  { file: 'crisp-erp__email_zoho.txt', reply: ['What is the best way to clear a Riak bucket of all key, values after', 'running a test?'] },
  { file: 'email_reply_trimmer__embedded_email_chinese.txt', reply: ['Hi Erlend Sogge Heggen,', 'Thank you for your reply.'] },
  {
    file: 'email_reply_trimmer__embedded_email_dutch_1.txt',
    reply: ['Nice of you to pick it up! Could you make a PR? Then other people can use it too. Would be great.'],
  },
  {
    file: 'email_reply_trimmer__embedded_email_german_1.txt',
    reply: ['alright, no big deal - I assume in this case the code needs some refactoring to better support I18N anyway.'],
  },
  { file: 'email_reply_trimmer__embedded_email_polish_1.txt', reply: ["Oh, I've forgot to add. MIT"] },
  {
    file: 'email_reply_trimmer__embedded_email_spanish_1.txt',
    reply: [
      "I've configured Twitter Authentication, so this error happends on the",
      'application, after twitter posts to my discourse install via the callback.',
      'In the front error I can get a correct message saying "Something waa wrong,',
      'check you usename and password" and in the backend I see that error in the',
      'logs.',
    ],
  },
  {
    file: 'email_reply_trimmer__embedded_email_swedish.txt',
    reply: ['Hi everyone!', 'Here you can find the pictures that I took https://foo.bar', 'It was a pleasure to support this event.'],
    signOff: ['Best regards', 'Some One'],
  },
  { file: 'email_reply_trimmer__forwarded_apple.txt', reply: ['This email has been forwarded from Apple Mail.'] },
  { file: 'email_reply_trimmer__usenet.txt', reply: ['Mal sehen was hier mit der Signatur passiert!'] },
  { file: 'github-erp__email_BlackBerry.txt', reply: ['Here is another email'] },
  { file: 'github-erp__email_iPhone.txt', reply: ['Here is another email'] },
  {
    file: 'github-erp__email_one_is_not_on.txt',
    reply: ['Thank, this is really helpful.', 'One outstanding question I had:', 'Locally (on development), when I run...'],
  },
  {
    file: 'github-erp__greedy_on.txt',
    reply: ['On your remote host you can run:', '     telnet 127.0.0.1 52698', 'This should connect to TextMate (on your Mac, via the tunnel). If that', 'fails, the tunnel is not working.'],
  },
  {
    file: 'github-erp__pathological.txt',
    reply: ["I think you're onto something. I will try to fix the problem as soon as I", 'get back to a computer.'],
  },
  { file: 'talon__gmail.html', ...TALON_REPLY },
  { file: 'talon__hotmail.html', ...TALON_REPLY },
  { file: 'talon__ms_outlook_2003.html', ...TALON_REPLY },
  { file: 'talon__ms_outlook_2007.html', ...TALON_REPLY },
  { file: 'talon__ms_outlook_2010.html', ...TALON_REPLY },
  { file: 'talon__thunderbird.html', ...TALON_REPLY },
  { file: 'talon__yandex_ru.html', ...TALON_REPLY },
];

// Where email-reply-parser (or html-to-text before it) keeps quoted or foreign text. The agent
// still sees the reply first; these assert that much, and fail once a library gets the case
// right, so that it moves up into EXTRACTED.
const KNOWN_LIMITATIONS: (Case & { why: string })[] = [
  {
    file: 'crisp-erp__email_custom_quote_header.txt',
    reply: ['Thank you!'],
    why: 'Hungarian quote header ("… keltezéssel, … írta:") is not among the parser\'s patterns; the header line stays',
  },
  {
    file: 'crisp-erp__email_thread.txt',
    reply: ['This is new email reply in thread from bellow.'],
    why: '"On …, wrote:" header wrapped over three lines stays',
  },
  {
    file: 'crisp-erp__email_tricky_17_forward_header.txt',
    reply: ['See the forwarded message below.'],
    why: '"---------- Forwarded message ---------" is not a quote marker; the forwarded mail stays',
  },
  {
    file: 'email_reply_trimmer__email_headers_1.txt',
    reply: ['This is a reply from Outlook!'],
    why: 'Gmail-rendered Outlook header ("*From:* name", no address) is not recognized; the quoted mail stays',
  },
  {
    file: 'email_reply_trimmer__embedded_email_french_1.txt',
    reply: ["C'est super !"],
    why: '"Le …, \\"Name\\" <addr> a écrit :" wrapped over three lines stays',
  },
  {
    file: 'email_reply_trimmer__embedded_email_russian_1.txt',
    reply: ["Why don't you override particular strings with JS?"],
    why: 'Russian header ("… пользователь … написал:") stays',
  },
  {
    file: 'email_reply_trimmer__forwarded_gmail.txt',
    reply: ['This email has been forwarded from Gmail.'],
    why: 'Gmail inline forward is not a quote marker; the forwarded mail stays',
  },
  {
    file: 'github-erp__email_1_2.txt',
    reply: [
      'Hi,',
      'You can list the keys for the bucket and call delete for each. Or if you',
      'put the keys (and kept track of them in your test) you can delete them',
      'one at a time (without incurring the cost of calling list first.)',
      'Something like:',
      '        String bucket = "my_bucket";',
      '        BucketResponse bucketResponse = riakClient.listBucket(bucket);',
      '        RiakBucketInfo bucketInfo = bucketResponse.getBucketInfo();',
      '        for(String key : bucketInfo.getKeys()) {',
      '            riakClient.delete(bucket, key);',
      '        }',
      'would do it.',
      'See also',
      'http://wiki.basho.com/REST-API.html#Bucket-operations',
      'which says',
      '"At the moment there is no straightforward way to delete an entire',
      'Bucket. There is, however, an open ticket for the feature. To delete all',
      'the keys in a bucket, you’ll need to delete them all individually."',
    ],
    why: "the mailing list's footer (a 47-underscore rule) is not a signature marker and stays",
  },
  {
    file: 'github-erp__email_2_1.txt',
    reply: ['Outlook with a reply'],
    why: 'Gmail-rendered Outlook header ("*From:* … [mailto:…]") is not recognized; the quoted mail stays',
  },
  {
    file: 'talon__mail_ru.html',
    ...TALON_REPLY,
    why: 'the blockquote goes, but its header line ("… от Name <addr>:") stays',
  },
  {
    file: 'talon__windows_mail.html',
    ...TALON_REPLY,
    why: 'Windows Mail quotes with a bordered <div> and Russian "От:" headers, no blockquote; the quoted mail stays',
  },
];

const accepted = (c: Case) => (c.signOff ? [c.reply, [...c.reply, ...c.signOff]] : [c.reply]);

describe('extractReplyText over reply-parser fixtures', () => {
  it.each(EXTRACTED)('$file', (c) => {
    const r = extract(c.file);
    expect(r.method).toBe(c.file.endsWith('.html') ? 'html' : 'text');
    expect(accepted(c)).toContainEqual(lines(r.text));
  });
});

describe('extractReplyText known limitations', () => {
  it.each(KNOWN_LIMITATIONS)('$file: $why', (c) => {
    const r = extract(c.file);
    expect(r.text).not.toBe('');
    expect(lines(r.text)[0]).toBe(c.reply[0]);
    expect(accepted(c)).not.toContainEqual(lines(r.text));
  });
});

describe('extractReplyText fallbacks', () => {
  const quoteOnly = 'On Mon, Jan 1, 2024 at 10:00 AM, Agent <agent@example.com> wrote:\n> Your parcel has shipped.\n';

  it('returns nothing only when there is nothing', () => {
    expect(extractReplyText({ text: null, html: null })).toEqual({ text: '', method: 'empty' });
    expect(extractReplyText({ text: ' \n', html: '<div> </div>' })).toEqual({ text: '', method: 'empty' });
  });

  it('returns the whole trimmed text when the parser finds no reply in it', () => {
    expect(extractReplyText({ text: `\n${quoteOnly}`, html: null })).toEqual({ text: quoteOnly.trim(), method: 'text-fallback' });
  });

  it('prefers the text part and reads the HTML only when there is none', () => {
    expect(extractReplyText({ text: 'From the text part', html: '<p>From the HTML part</p>' })).toEqual({ text: 'From the text part', method: 'text' });
    expect(extractReplyText({ text: '  ', html: '<p>From the HTML part</p>' })).toEqual({ text: 'From the HTML part', method: 'html' });
  });

  it('reads CRLF bodies', () => {
    expect(extractReplyText({ text: `Thanks!\r\n\r\n${quoteOnly.replace(/\n/g, '\r\n')}`, html: null })).toEqual({ text: 'Thanks!', method: 'text' });
  });

  it('does not throw on markup nested deeper than html-to-text can walk', () => {
    const deep = `<p>Yes, Tuesday works.</p>${'<div>'.repeat(5000)}x${'</div>'.repeat(5000)}`;
    const r = extractReplyText({ text: null, html: deep });
    expect(r.method).toBe('html');
    expect(lines(r.text)[0]).toBe('Yes, Tuesday works.');
  });
});
