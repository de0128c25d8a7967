import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { parse } from 'csv-parse';
import type { Services } from '../deps.js';
import { AppError } from '../errors.js';
import { requestHash } from '../idempotency/idempotency.service.js';
import { type Contact, MAX_CONTACTS } from '../outbound-config/contacts.js';
import type { ContactResult } from '../outbound-config/invoke.service.js';
import { resultLine, resultsHeader, rowToContact } from './csv-contacts.js';

// `threadline send`: a CSV of contacts, streamed, sent in batches of 100 through the same
// invocation as POST …/invoke, in-process against the configured database. Each batch carries an
// Idempotency-Key made of the configuration, the file's SHA-256 and the batch's number: run again
// after an interruption (Ctrl-C, kill -9), the batches that committed are replayed (their results
// rewritten, nobody mailed twice) and the rest are sent. Keys last 24 hours.

/** A hostile file's one row cannot take the memory: longer rows are bad rows. */
const MAX_ROW_BYTES = 256 * 1024;
/** Batches sent before the oldest one's outcomes are written: what bounds the memory a run takes. */
const IN_FLIGHT = 4;

/** A row in file order: a contact to send, or a bad row's problem. */
type Row = { line: number; contact: Contact } | { line: number; bad: { tocontactid: string; reason: string } };

export interface SendCsvOptions {
  services: Pick<Services, 'invoke' | 'configurations'>;
  orgId: string;
  configurationId: string;
  file: string;
  results: string;
  progress: Progress;
  /** Waits out a rate limit (real time). */
  sleep(ms: number): Promise<void>;
}

export interface SendSummary {
  rows: number;
  queued: number;
  skipped: number;
  invalid: number;
  replayedBatches: number;
}

export interface Progress {
  update(done: number, total: number): void;
  note(line: string): void;
  end(): void;
}

/** The file's SHA-256 and its number of lines (less the header: about its rows, for the time left). */
async function fingerprint(file: string): Promise<{ hash: string; rows: number }> {
  const h = createHash('sha256');
  let lines = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    h.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { hash: h.digest('hex'), rows: Math.max(0, lines - 1) };
}

export async function sendCsv(o: SendCsvOptions): Promise<SendSummary> {
  try {
    fs.accessSync(o.file, fs.constants.R_OK);
  } catch (err) {
    throw new AppError(400, 'file.unreadable', `cannot read ${o.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  await o.services.configurations.get(o.orgId, o.configurationId);
  const { hash, rows: estimate } = await fingerprint(o.file);
  const out = fs.createWriteStream(o.results);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  const sum: SendSummary = { rows: 0, queued: 0, skipped: 0, invalid: 0, replayedBatches: 0 };
  // A batch's rows in file order, the bad ones among them: the results file follows the file.
  let batch: Row[] = [];
  let contacts = 0;
  let batchNo = 0;
  // The parser reports a bad row as soon as it reads it, ahead of the good rows it still holds:
  // kept aside until the rows before it have been taken.
  let unparsed: Array<{ line: number; bad: { tocontactid: string; reason: string } }> = [];
  const bad = (line: number, tocontactid: string, reason: string) => {
    sum.invalid++;
    o.progress.note(`line ${line}: ${reason}`);
    unparsed.push({ line, bad: { tocontactid, reason } });
  };
  const takeUnparsed = (before: number) => {
    batch.push(...unparsed.filter((u) => u.line < before));
    unparsed = unparsed.filter((u) => u.line >= before);
  };

  /** One batch's invocation, retried while rate limited. */
  async function invoke(contactList: Contact[], no: number): Promise<{ results: ContactResult[]; replayed: boolean }> {
    const key = `threadline-send:${o.configurationId}:${hash.slice(0, 40)}:${no}`;
    const idem = { key, hash: requestHash('POST', `/api/v2/outbound/configurations/${o.configurationId}/invoke`, JSON.stringify({ contactList })) };
    for (;;) {
      try {
        const r = await o.services.invoke.invoke(o.orgId, o.configurationId, contactList, idem);
        return { results: r.body.results, replayed: r.replayed };
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 429) throw err;
        const wait = Math.max(1, err.retryAfterSeconds ?? 1);
        o.progress.note(`rate limited: ${err.message} Waiting ${wait} s.`);
        await o.sleep(wait * 1000);
      }
    }
  }

  // Batches sent and not yet written, oldest first. Several at once share a commit (group
  // commit, db/batcher.ts) while each stays its own invocation, with its own key; the results
  // are still written in the file's order.
  const inFlight: Array<{ rows: Row[]; sent: Promise<{ results: ContactResult[]; replayed: boolean }> }> = [];

  /** Sends the rows taken so far as the next batch. */
  function dispatch(): void {
    const contactList = batch.flatMap((b) => ('contact' in b ? [b.contact] : []));
    const sent = contactList.length > 0 ? invoke(contactList, batchNo++) : Promise.resolve({ results: [], replayed: false });
    // Awaited in turn below; until then a failure must not count as unhandled.
    sent.catch(() => undefined);
    inFlight.push({ rows: batch, sent });
    batch = [];
    contacts = 0;
  }

  /** Waits for the oldest batch in flight and writes its rows' outcomes. */
  async function settle(): Promise<void> {
    const { rows, sent } = inFlight.shift()!;
    const { results, replayed } = await sent;
    if (replayed) sum.replayedBatches++;
    let i = 0;
    for (const b of rows) {
      sum.rows++;
      if ('bad' in b) {
        await write(resultLine(b.line, { ...b.bad, status: 'invalid' }));
        continue;
      }
      const res = results[i++]!;
      if (res.status === 'queued') sum.queued++;
      else sum.skipped++;
      await write(resultLine(b.line, res));
    }
    o.progress.update(sum.rows, Math.max(estimate, sum.rows));
  }

  await write(resultsHeader());
  const parser = fs.createReadStream(o.file).pipe(parse({ columns: true, info: true, bom: true, skip_records_with_error: true, max_record_size: MAX_ROW_BYTES }));
  parser.on('skip', (err: Error & { lines?: number }) => bad(err.lines ?? 0, '', err.message));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    takeUnparsed(info.lines);
    const r = rowToContact(record, o.configurationId);
    if ('problem' in r) bad(info.lines, record.tocontactid ?? '', r.problem);
    else {
      batch.push({ line: info.lines, contact: r.contact });
      if (++contacts === MAX_CONTACTS) {
        dispatch();
        if (inFlight.length >= IN_FLIGHT) await settle();
      }
    }
  }
  takeUnparsed(Number.POSITIVE_INFINITY);
  dispatch();
  while (inFlight.length > 0) await settle();
  out.end();
  await once(out, 'finish');
  o.progress.end();
  return sum;
}

/** Progress on standard error: a line rewritten in place on a terminal, a line a second otherwise. */
export function stderrProgress(stream: NodeJS.WriteStream, now: () => number = Date.now): Progress {
  const started = now();
  let last = 0;
  let shown = '';
  const tty = stream.isTTY === true;
  const eta = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);
  return {
    update(done, total) {
      const secs = Math.max(0.001, (now() - started) / 1000);
      const rate = done / secs;
      const width = 30;
      const filled = Math.min(width, Math.round((done / Math.max(1, total)) * width));
      shown = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} rows  ${Math.round(rate)}/s  ${eta(rate > 0 ? (total - done) / rate : 0)} left`;
      if (tty) stream.write(`\r${shown}`);
      else if (now() - last >= 1000 || done >= total) {
        last = now();
        stream.write(`${shown}\n`);
      }
    },
    note(line) {
      stream.write(tty ? `\r\x1b[K${line}\n${shown}` : `${line}\n`);
    },
    end() {
      if (tty) stream.write('\n');
    },
  };
}
