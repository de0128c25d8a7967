import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { atEnd } from './cleanup.js';

export type Zone = Record<string, Array<{ type: 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME'; data: unknown }>>;

/**
 * A real DNS server on 127.0.0.1 (UDP, port chosen by the OS) answering from `zone`. Names not
 * in the zone get NXDOMAIN; names in it without the asked type get an empty NOERROR answer.
 */
export async function startDnsServer(zone: Zone): Promise<{ address: string; queries: string[] }> {
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
    const answers = (records ?? []).filter((r) => r.type === q.type).map((r) => ({ type: r.type, name: q.name, ttl: 60, class: 'IN', data: r.data }));
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
  atEnd(() => new Promise<void>((r) => socket.close(() => r())));
  return { address: `127.0.0.1:${socket.address().port}`, queries };
}
