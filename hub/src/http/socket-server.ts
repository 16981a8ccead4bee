import type { Server as HttpServer } from 'node:http';
import type { ClientToServerEvents, ServerToClientEvents } from '@caretaker/protocol';
import { Server } from 'socket.io';
import type { LiveStateService } from '../services/live-state.service.js';

/**
 * The socket.io stream to dashboards: forwards the live-state events, typed by the protocol's
 * event map. `authorize` (outside the demo mode) checks the handshake's credentials.
 */
export function attachSocketServer(
  httpServer: HttpServer,
  live: LiveStateService,
  authorize?: (authorization: string | undefined) => Promise<boolean>,
): Server<ClientToServerEvents, ServerToClientEvents> {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    serveClient: false,
    // Same-origin dashboards only; a deployment behind a proxy on another origin sets it up there.
    cors: { origin: false },
  });
  if (authorize) {
    io.use((socket, next) => {
      authorize(socket.handshake.headers.authorization).then(
        (ok) => next(ok ? undefined : new Error('unauthorized')),
        (err: Error) => next(err),
      );
    });
  }
  live.on('readings.received', (event) => io.emit('readings.received', event));
  live.on('device.changed', (event) => io.emit('device.changed', event));
  return io;
}
