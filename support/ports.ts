import net from 'node:net';

// Shared by the tests and the benchmarks, like everything in support/.

/** A port the kernel just gave out on 127.0.0.1; racy in theory, fine for one run on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
