// GET /events: the dashboard's live feed, as server-sent events. Every
// second, one status report is made and sent to every open stream (so many
// viewers cost one report, not one each); no stream, no timer. A stream that
// does not keep up (its unsent bytes pile up) is closed; the browser's
// EventSource reconnects by itself.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpError } from './http-reply.js';

/** Unsent bytes a stream may hold before it is cut off. */
const MAX_STREAM_BACKLOG = 1024 * 1024;
/** Browsers retry this long after a dropped stream. */
const RETRY_MS = 2000;

export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private sending = false;

  constructor(
    private readonly maxStreams: number,
    private readonly intervalMs: number,
    private readonly next: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.streams.size >= this.maxStreams) {
      throw new HttpError(
        503,
        `too many open event streams (${this.maxStreams}); close a dashboard tab and retry`,
        { 'Retry-After': '5' },
      );
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.streams.add(res);
    req.socket.setNoDelay(true);
    res.once('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) this.stopTimer();
    });
    this.timer ??= setInterval(() => void this.broadcast(), this.intervalMs);
    void this.broadcast();
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    this.stopTimer();
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async broadcast(): Promise<void> {
    if (this.sending) return; // the previous report is still being made
    this.sending = true;
    try {
      const frame = `event: status\ndata: ${JSON.stringify(await this.next())}\n\n`;
      for (const res of this.streams) {
        if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
        else res.write(frame);
      }
    } catch (err) {
      this.log.warn({ err }, 'cannot make the status report for event streams');
    } finally {
      this.sending = false;
    }
  }
}
