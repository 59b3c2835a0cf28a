// What one request/reply round trip over a Unix socket costs two Node
// processes in CPU, with nothing else done per message: the floor under each
// storage request between a coordinator and its engine (an append, an apply).
// The server is this script forked; it answers each request with a small
// reply. Prints the wall time and each side's CPU (user + system) per trip.
//
//   node dist/bench/socket-round-trip.js [--trips 20000] [--request-bytes 4096] [--reply-bytes 64]

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refuse, scriptOptions } from './script-options.js';

const usage = {
  name: 'socket-round-trip',
  run: 'node dist/bench/socket-round-trip.js',
  about:
    'What one request/reply round trip over a Unix socket costs two Node processes in CPU,\n' +
    'with nothing else done per message: the floor under each storage request. The server\n' +
    "is this script forked. Prints the wall time and each side's CPU per trip.",
};
const values = scriptOptions(usage, {
  trips: { value: '<n>', help: 'round trips to time', default: '20000' },
  'request-bytes': { value: '<bytes>', help: 'bytes of each request', default: '4096' },
  'reply-bytes': { value: '<bytes>', help: 'bytes of each reply', default: '64' },
  serve: { value: '<socket>', help: 'internal: run as the forked server on this socket' },
});
const trips = Number(values.trips);
const requestBytes = Number(values['request-bytes']);
const replyBytes = Number(values['reply-bytes']);
if (![trips, requestBytes, replyBytes].every((n) => Number.isInteger(n) && n > 0)) {
  refuse(usage, '--trips, --request-bytes and --reply-bytes must be positive whole numbers');
}

/** Calls `each` once per whole message of `size` bytes the socket's chunks carry. */
function perMessage(size: number, each: () => void): (chunk: Buffer) => void {
  let pending = 0;
  return (chunk) => {
    pending += chunk.length;
    for (; pending >= size; pending -= size) each();
  };
}

function cpuMicros(u: NodeJS.CpuUsage): number {
  return u.user + u.system;
}

async function serve(socketPath: string): Promise<void> {
  const reply = Buffer.alloc(replyBytes);
  const server = createServer((s) => {
    s.on(
      'data',
      perMessage(requestBytes, () => s.write(reply)),
    );
  });
  await new Promise<void>((ok) => server.listen(socketPath, ok));
  process.on('message', () => process.send?.(cpuMicros(process.cpuUsage())));
  process.send?.('ready');
}

async function measure(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'distdb-bench-socket-'));
  const socketPath = join(dir, 's.sock');
  const server = fork(fileURLToPath(import.meta.url), [
    '--serve',
    socketPath,
    '--request-bytes',
    String(requestBytes),
    '--reply-bytes',
    String(replyBytes),
  ]);
  const nextMessage = (): Promise<unknown> => new Promise((ok) => server.once('message', ok));
  try {
    await nextMessage();
    const s = createConnection(socketPath);
    await new Promise((ok) => s.once('connect', ok));
    const request = Buffer.alloc(requestBytes);
    const serverCpu = async (): Promise<number> => {
      server.send('cpu');
      return (await nextMessage()) as number;
    };
    const serverBefore = await serverCpu();
    const before = process.cpuUsage();
    const started = performance.now();
    let left = trips;
    await new Promise<void>((done) => {
      s.on(
        'data',
        perMessage(replyBytes, () => {
          if (--left === 0) done();
          else s.write(request);
        }),
      );
      s.write(request);
    });
    const wallUs = ((performance.now() - started) * 1000) / trips;
    const clientUs = cpuMicros(process.cpuUsage(before)) / trips;
    const serverUs = ((await serverCpu()) - serverBefore) / trips;
    s.destroy();
    console.log(
      `${trips} round trips, ${requestBytes}-byte requests, ${replyBytes}-byte replies: ` +
        `${wallUs.toFixed(1)} µs each; CPU per trip: client ${clientUs.toFixed(1)} µs, ` +
        `server ${serverUs.toFixed(1)} µs, both ${(clientUs + serverUs).toFixed(1)} µs`,
    );
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.serve !== undefined) await serve(values.serve);
else await measure();
