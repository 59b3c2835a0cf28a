// Helpers for the HTTP port's end-to-end tests: find a node's HTTP port in
// its ready line, and read server-sent events from /events.

import { request } from 'node:http';
import type { Proc } from '../helpers/processes.js';

/** The HTTP port a `distdb node --http-port 0` announced in its ready line. */
export async function httpPortOf(proc: Proc): Promise<number> {
  const m = await proc.waitFor(/ready host=\S+ port=\d+ http=(\d+)/);
  return Number(m[1]);
}

export interface EventStream {
  status: number;
  /** Resolves with the next `count` events' data, parsed as JSON. */
  next(count: number): Promise<unknown[]>;
  close(): void;
}

/** Opens GET `path` as an event stream (no reconnection; the test sees what the server does). */
export function openEvents(
  port: number,
  path = '/events',
  headers: Record<string, string> = {},
): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let buffered = '';
      const events: unknown[] = [];
      let wake: (() => void) | null = null;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data !== '') events.push(JSON.parse(data));
        }
        wake?.();
      });
      res.on('end', () => wake?.());
      resolve({
        status: res.statusCode ?? 0,
        async next(count) {
          while (events.length < count) {
            if (res.complete || res.destroyed) throw new Error('the event stream ended');
            await new Promise<void>((w) => (wake = w));
          }
          return events.splice(0, count);
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits until `base`/health is 200 (a fresh node elects itself within an election timeout). */
export async function waitHealthy(base: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/health`);
    if (res.status === 200) return;
    if (Date.now() > until) throw new Error(`${base} is not healthy: ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
