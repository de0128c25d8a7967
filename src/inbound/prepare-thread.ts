import { isMainThread, workerData } from 'node:worker_threads';
import { createDnsResolver } from '../dns/resolver.js';
import { serveRequests } from '../threads/pool.js';
import { type Arrival, examine, type PrepareThreadData } from './preparer.js';

// An inbound thread (see preparer.ts): parses and authenticates the messages the main thread
// posts, with a DNS cache of its own.

// Examined once at start, with no DNS, so the first real message does not pay for compiling
// the parsers: a spare thread is wanted exactly when another is stuck, and then at full speed.
const WARM_UP: Arrival = {
  raw: Buffer.from(
    [
      'From: Warm Up <warm-up@example.com>',
      'To: warm-up@example.com',
      'Subject: Re: warm-up',
      'Message-ID: <warm-up@example.com>',
      'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=warm; h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Hello=20there',
      '',
      'On Mon, Apr 2, 2012 at 6:26 PM, Someone <warm-up@example.com> wrote:',
      '> Hi',
      '--b',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Hello there</p><blockquote>Hi</blockquote>',
      '--b--',
      '',
    ].join('\r\n'),
  ),
  envelopeFrom: 'warm-up@example.com',
  remoteAddress: '127.0.0.1',
  helo: 'warm-up.example.com',
};

if (!isMainThread) {
  const data = workerData as PrepareThreadData;
  const resolver = createDnsResolver({ servers: data.dnsServers });
  const noDns = () => Promise.reject(Object.assign(new Error('no lookups while warming up'), { code: 'ENOTFOUND' }));
  serveRequests(
    (a: Arrival, stage) => examine(a, data.mta, resolver.lookup, stage),
    undefined,
    () => examine(WARM_UP, data.mta, noDns),
  );
}
