import type { Socket } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';

// smtp-server holds every new connection a fixed 100 ms before its 220 greeting and answers a
// client that speaks in that time "421 You talk too soon": spam software often does not wait.
// The pause is per connection, so with one message per connection it caps each session at a
// few messages a second. This does what SMTPServer.connect() and SMTPConnection.init() do, with
// the pause as a setting; test/integration/inbound-greeting.test.ts pins both behaviours.

/** Makes `server` greet each new connection `ms` milliseconds after it opens (0: at once, no early-talker check). */
export function setGreetingDelay(server: SMTPServer, ms: number): void {
  const maxClients = server.options.maxClients;
  server.connect = (socket: Socket, socketOptions?: SMTPConnectionOptions | null) => {
    const connection = new SMTPConnection(server, socket, socketOptions);
    server.connections.add(connection);
    connection.on('error', (err: Error) => server._onError(err));
    connection.on('connect', (data) => server._onClientConnect(data));
    connection._setListeners(() => {
      if (maxClients && server.connections.size > maxClients) {
        return connection.send(421, `${connection.name} Too many connected clients, try again in a moment`, false);
      }
      if (ms === 0) return connection.connectionReady();
      // Unreferenced, as smtp-server's own: a pending greeting does not keep the process alive.
      setTimeout(() => connection.connectionReady(), ms).unref();
    });
  };
}
