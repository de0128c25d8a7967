import net from 'node:net';
import { atEnd } from './cleanup.js';

/**
 * A TCP forwarder on 127.0.0.1:`port` to `upstreamPort` that can go down (its port refuses
 * connections and every open one is cut, as when a relay's host fails) and come back up on the
 * same port.
 */
export async function tcpProxy(port: number, upstreamPort: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const up = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(upstreamPort, '127.0.0.1');
        track(client);
        track(upstream);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
      server = s;
    });
  const down = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      if (s) s.close(() => resolve());
      else resolve();
    });
  await up();
  atEnd(down);
  return { up, down };
}
