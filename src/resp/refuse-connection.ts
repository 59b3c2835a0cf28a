// Turning away a client connection that will not be served (too many
// clients, protected mode, TLS required, a rejected certificate): the client
// gets one error reply saying why, then the connection closes.

import type { Socket } from 'node:net';
import { encodeError } from './reply-encoder.js';

/** How long a refused client may take to close before the socket is destroyed. */
export const REFUSED_CLOSE_GRACE_MS = 5000;

/** Answers `message` as a RESP error and closes, dropping what the client still sends so its close is seen. */
export function refuseConnection(socket: Socket, message: string): void {
  socket.on('error', () => undefined);
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSED_CLOSE_GRACE_MS).unref();
  socket.end(encodeError(message));
}
