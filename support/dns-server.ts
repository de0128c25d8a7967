import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

// A real DNS server on 127.0.0.1 (UDP, a port the OS chooses) answering from a zone object that
// the caller may change while it runs: the tests' and the benchmarks' stand-in for the internet's
// DNS (MX, SPF, DKIM and DMARC records). Names not in the zone get NXDOMAIN; names in it without
// the asked type get an empty NOERROR answer.

export type ZoneRecord = { type: 'A' | 'AAAA' | 'CNAME'; data: string } | { type: 'TXT'; data: string | string[] } | { type: 'MX'; data: { preference: number; exchange: string } };
export type Zone = Record<string, ZoneRecord[]>;

export interface DnsServer {
  /** `127.0.0.1:PORT`, for THREADLINE_DNS_SERVERS. */
  address: string;
  /** The zone served; add or remove records at any time (names in lower case). */
  zone: Zone;
  /** Every question asked, as `TYPE name`. */
  queries: string[];
  close(): Promise<void>;
}

/** TXT strings longer than 255 octets are split into several, as DNS requires. */
const txtData = (data: string | string[]) => (Array.isArray(data) ? data : (data.match(/.{1,255}/gs) ?? ['']));

export async function startDnsServer(zone: Zone = {}): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.toLowerCase();
    queries.push(`${q.type} ${name}`);
    const records = zone[name];
    const answers = (records ?? []).filter((r) => r.type === q.type).map((r) => ({ type: r.type, name: q.name, ttl: 60, class: 'IN', data: r.type === 'TXT' ? txtData(r.data) : r.data }));
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | (records ? 0 : 3), // rcode 3: NXDOMAIN
      questions: query.questions,
      answers: answers as dnsPacket.Answer[],
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  // Never the reason a process stays up: it serves while its owner runs.
  socket.unref();
  return {
    address: `127.0.0.1:${socket.address().port}`,
    zone,
    queries,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** Adds a record to a zone (lower-casing the name). */
export function publish(zone: Zone, host: string, record: ZoneRecord): void {
  const name = host.toLowerCase();
  zone[name] ??= [];
  zone[name].push(record);
}

/** A record as threadline's domain API lists it (`{host, type, value}`), added to a zone. */
export function publishListed(zone: Zone, r: { host: string; type: string; value: string }): void {
  if (r.type === 'MX') {
    const [preference, exchange] = r.value.split(' ');
    publish(zone, r.host, { type: 'MX', data: { preference: Number(preference), exchange: exchange! } });
  } else if (r.type === 'TXT') publish(zone, r.host, { type: 'TXT', data: r.value });
  else throw new Error(`cannot publish a ${r.type} record`);
}
