import type { Server, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServerSession } from 'smtp-server';
import { clientKey, plainAddress } from '../client-key.js';
import type { Logger } from '../log.js';

// smtp-server's idle timeout is reset by every byte, so a client that sends one byte now and
// then holds its connection for as long as it likes, and a few hundred such clients hold every
// slot. This guard times a client by its progress instead, as Postfix's per-request deadlines
// do: a complete command line within the command timeout, and a message (DATA) at a minimum
// average rate past that; the clock stops while the client waits for our answer. It also caps
// the connections of one client address, and notes RCPT lines with a source route, which
// smtp-server strips (RFC 5321 asks it to ignore them) before our recipient hook sees them.

export interface GuardOptions {
  /** Connections one client address (an IPv6 /64) may hold at once. */
  maxPerClient: number;
  commandTimeoutMs: number;
  /** Bytes per second a message must arrive at, on average, once the command timeout is spent. */
  minDataRate: number;
}

export interface SmtpGuard {
  /** For onConnect: null to accept the session, or the refusal (421) when its address is at the cap. */
  admit(session: SMTPServerSession): Error | null;
  /** For onSecure: after STARTTLS the commands arrive on the TLS socket. */
  secured(session: SMTPServerSession, socket: Socket): void;
  /** The client waits for our answer (a hook is working): its clock stops. */
  hold(session: SMTPServerSession): void;
  /** Our answer is on its way: the client owes its next command from now. */
  release(session: SMTPServerSession): void;
  /** DATA was accepted: the message must keep arriving at the minimum rate. */
  data(session: SMTPServerSession, stream: Readable): void;
  /** Whether the client's RCPT command for `address` carried a source route (`<@relay:user@domain>`). */
  sourceRouted(session: SMTPServerSession, address: string): boolean;
  /** For onClose: forgets the session and frees its slot. */
  closed(session: SMTPServerSession): void;
}

interface Watched {
  session: SMTPServerSession;
  client: string;
  socket: Socket | null;
  onData: (chunk: Buffer) => void;
  mode: 'command' | 'data' | 'held';
  /** command: the last complete line; data: when DATA was accepted. */
  since: number;
  bytes: number;
  /** The start of the line being received: enough of it to read a RCPT command. */
  head: string;
  /** Recipients whose RCPT line had a source route, lower-cased, as smtp-server will report them. */
  routed: string[];
  routedFlood: boolean;
  timer: NodeJS.Timeout | null;
}

const HEAD_BYTES = 512;
const MAX_ROUTED = 64;
// smtp-server's own pattern for the route it strips (RFC 5321 §4.1.2 A-d-l).
const ROUTED_RCPT = /^RCPT\s+TO:\s*<@[^\s,:@<>]+(?:,@[^\s,:@<>]+)*:([^<>\s]*)>/i;

export interface GuardDeps {
  /** smtp-server's listening socket server, to meet each connection's socket. */
  listener: Server;
  /** Ends a session with this 421 reply. */
  expire(session: SMTPServerSession, reply: string): void;
  log: Logger;
  now?: () => number;
}

export function createSmtpGuard(opts: GuardOptions, deps: GuardDeps): SmtpGuard {
  const { listener, expire, log } = deps;
  const now = deps.now ?? (() => performance.now());
  // Accepted sockets not yet greeted, by peer: smtp-server hands our hooks the session only, so
  // the session finds its socket by the peer's address and port.
  const accepted = new Map<string, Socket>();
  const peer = (address: string, port: number) => `${plainAddress(address)} ${port}`;
  listener.on('connection', (socket: Socket) => {
    const key = peer(socket.remoteAddress ?? '', socket.remotePort ?? 0);
    accepted.set(key, socket);
    socket.once('close', () => accepted.get(key) === socket && accepted.delete(key));
  });
  const perClient = new Map<string, number>();
  const watched = new Map<string, Watched>();

  const deadline = (w: Watched) => w.since + opts.commandTimeoutMs + (w.mode === 'data' ? (w.bytes * 1000) / opts.minDataRate : 0);
  // One timer per connection, set for the earliest possible deadline and moved on when it
  // fires early: progress only advances `since`, it never touches the timer.
  const check = (w: Watched) => {
    w.timer = null;
    if (w.mode === 'held') return;
    const left = deadline(w) - now();
    if (left > 0) return arm(w, left);
    expire(
      w.session,
      w.mode === 'data'
        ? `4.4.2 Timeout: the message arrives slower than ${opts.minDataRate} bytes/s, closing connection`
        : `4.4.2 Timeout: no complete command in ${opts.commandTimeoutMs / 1000} s, closing connection`,
    );
  };
  const arm = (w: Watched, ms: number) => {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(check, ms, w);
    w.timer.unref();
  };
  const observe = (w: Watched, chunk: Buffer) => {
    if (w.mode === 'data') return; // the message's bytes are counted from its stream
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (w.head.length < HEAD_BYTES) w.head += chunk.toString('latin1', start, Math.min(nl, start + HEAD_BYTES - w.head.length));
      const routed = ROUTED_RCPT.exec(w.head);
      // Lines smtp-server refuses before our hook (RCPT before MAIL) are never taken back out:
      // past the bound, every recipient of the session counts as routed.
      if (routed && w.routed.length < MAX_ROUTED) w.routed.push(routed[1]!.toLowerCase());
      else if (routed) w.routedFlood = true;
      w.head = '';
      w.since = now();
      start = nl + 1;
    }
    if (start < chunk.length && w.head.length < HEAD_BYTES) w.head += chunk.toString('latin1', start, Math.min(chunk.length, start + HEAD_BYTES - w.head.length));
  };
  const watch = (w: Watched, socket: Socket | null) => {
    w.socket?.off('data', w.onData);
    w.socket = socket;
    // Before smtp-server's parser: a RCPT line is read here before its hook runs.
    socket?.prependListener('data', w.onData);
  };
  const toCommand = (w: Watched) => {
    w.mode = 'command';
    w.since = now();
    w.head = '';
    // A session whose socket was not found cannot be timed by its lines: smtp-server's idle
    // timeout is all it gets (admit logs it).
    if (w.socket) arm(w, opts.commandTimeoutMs);
  };

  return {
    admit(session) {
      const client = clientKey(session.remoteAddress);
      const n = perClient.get(client) ?? 0;
      if (n >= opts.maxPerClient) {
        return Object.assign(new Error(`4.7.0 Too many connections from ${client}, try again later`), { responseCode: 421 });
      }
      perClient.set(client, n + 1);
      const key = peer(session.remoteAddress, session.remotePort);
      const socket = accepted.get(key) ?? null;
      accepted.delete(key);
      if (!socket) log.error({ session: session.id, remote: key }, "SMTP session without its socket: it is timed by smtp-server's idle timeout only");
      const w: Watched = { session, client, socket: null, onData: (chunk) => observe(w, chunk), mode: 'command', since: 0, bytes: 0, head: '', routed: [], routedFlood: false, timer: null };
      watched.set(session.id, w);
      watch(w, socket);
      toCommand(w);
      return null;
    },
    secured(session, socket) {
      const w = watched.get(session.id);
      if (w) watch(w, socket);
    },
    hold(session) {
      const w = watched.get(session.id);
      if (w) w.mode = 'held';
    },
    release(session) {
      const w = watched.get(session.id);
      if (w) toCommand(w);
    },
    data(session, stream) {
      const w = watched.get(session.id);
      if (!w) return;
      w.mode = 'data';
      w.since = now();
      w.bytes = 0;
      stream.on('data', (chunk: Buffer) => (w.bytes += chunk.length));
      stream.once('end', () => (w.mode = 'held'));
      arm(w, opts.commandTimeoutMs);
    },
    sourceRouted(session, address) {
      const w = watched.get(session.id);
      if (!w) return false;
      const i = w.routed.indexOf(address.toLowerCase());
      if (i >= 0) w.routed.splice(i, 1);
      return i >= 0 || w.routedFlood;
    },
    closed(session) {
      const w = watched.get(session.id);
      if (!w) return;
      watched.delete(session.id);
      if (w.timer) clearTimeout(w.timer);
      watch(w, null);
      const n = (perClient.get(w.client) ?? 1) - 1;
      if (n > 0) perClient.set(w.client, n);
      else perClient.delete(w.client);
    },
  };
}
