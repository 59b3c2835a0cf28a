// Tells a TLS connection from a plain one by its first byte: every TLS
// connection starts with a handshake record (content type 0x16), while RESP
// starts with '*' or a letter, and the peer protocol with 'D'. The bytes are
// put back, so whoever takes the socket next reads the stream from its start.

import type { Socket } from 'node:net';

/** The first byte of a TLS record carrying a handshake message. */
export const TLS_HANDSHAKE_BYTE = 0x16;

export class FirstByteSniffer {
  /** Connections whose first bytes have not arrived yet. */
  private readonly waiting = new Set<Socket>();

  /** `timeoutMs`: close a connection that sends nothing for this long; null: wait as long as it stays open. */
  constructor(private readonly timeoutMs: number | null) {}

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Calls `then(isTls)` once the first bytes arrive, with the socket paused
   * and those bytes unread again; nothing is called if it closes first.
   */
  sniff(socket: Socket, then: (isTls: boolean) => void): void {
    this.waiting.add(socket);
    // Errors before anyone else listens (a reset during the sniff) must not be uncaught.
    socket.on('error', () => undefined);
    const timer =
      this.timeoutMs === null ? null : setTimeout(() => socket.destroy(), this.timeoutMs);
    const onClose = (): void => {
      if (timer !== null) clearTimeout(timer);
      this.waiting.delete(socket);
    };
    const onData = (chunk: Buffer): void => {
      onClose();
      socket.off('close', onClose);
      socket.off('data', onData);
      socket.pause();
      socket.unshift(chunk);
      then(chunk[0] === TLS_HANDSHAKE_BYTE);
    };
    socket.once('close', onClose);
    socket.on('data', onData);
  }

  /** Closes every connection still waiting (the listener is shutting down). */
  close(): void {
    for (const socket of this.waiting) socket.destroy();
  }
}
