// Redis as the ceiling of one durable, unreplicated server on this machine:
// a single `redis-server` that appends every write to its AOF and fsyncs it
// before replying (appendfsync always), no RDB snapshots.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { RespFrames } from '../resp-frames.js';
import { connectResp } from '../resp-connection.js';
import { manageServer } from '../server-process.js';
import { respPreload } from './resp-preload.js';
import type { RunningSystem, StartContext } from './system.js';

export const REDIS_BINARY = 'redis-server';

export async function startRedis(ctx: StartContext): Promise<RunningSystem> {
  const port = await freePort();
  // Config lines as arguments, so no redis.conf of this machine is read.
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', ctx.dir,
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--save', '',
    '--daemonize', 'no',
    '--logfile', '',
  ]; // prettier-ignore
  const child = spawn(REDIS_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const server = manageServer('redis-server', child, join(ctx.dir, 'redis.log'));
  try {
    await server.waitFor(/Ready to accept connections/, 30_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const frames = new RespFrames(ctx.space);
  return {
    name: 'redis',
    endpoint: `127.0.0.1:${port} (appendonly yes, appendfsync always)`,
    serverProcesses: () => [{ pid: server.pid, name: 'redis-server', childName: null }],
    connect: () => connectResp('127.0.0.1', port, frames),
    preload: (progress) => respPreload(port, ctx.space, progress),
    stop: () => server.stop(),
  };
}
