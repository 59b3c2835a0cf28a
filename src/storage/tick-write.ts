// Frames written in the same tick leave the socket in one write (writev)
// instead of one syscall each: the first write of a tick corks the socket
// and a nextTick uncorks it. nextTick runs after the current microtasks, so
// replies settled together (one group commit) or requests issued together
// still share the write.

import type { Socket } from 'node:net';

export function writeThisTick(socket: Socket, frame: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  socket.write(frame);
}

function uncork(socket: Socket): void {
  socket.uncork();
}
