// distdb as a user runs it: a 3-node local cluster of `distdb node`
// processes (each with its storage engine child) on loopback, with the
// defaults — durable writes, linearizable reads. The clients talk to the
// leader, as they do on etcd. Raft and storage settings in the environment
// (RAFT_READ_LEASE=1, ...) reach the nodes too: the run names them.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnDistdb } from '../../../src/cli/child-process.js';
import { connect } from '../../../src/client/index.js';
import type { ClusterStatus } from '../../../src/coordinator/replication/replication.js';
import { freePort } from '../free-port.js';
import { RespFrames } from '../resp-frames.js';
import { connectResp } from '../resp-connection.js';
import { manageServer, type ServerProcess } from '../server-process.js';
import { respPreload } from './resp-preload.js';
import type { RunningSystem, StartContext } from './system.js';

const NODES = 3;
const NODE_READY = /distdb node ready host=(\S+) port=(\d+)/;
const READY_TIMEOUT_MS = 30_000;
const LEADER_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;

export async function startDistdbCluster(ctx: StartContext): Promise<RunningSystem> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(ctx, attempt === 1 ? ctx.dir : join(ctx.dir, `attempt-${attempt}`));
    } catch (err) {
      // A port that was free when picked can be taken before the node binds
      // it: the first node's dials to the others, made before they listen,
      // get ephemeral local ports. New ports and empty data dirs, then.
      const clash = /already in use/.test((err as Error).message);
      if (!clash || attempt === START_ATTEMPTS) throw err;
      ctx.say(
        `distdb: a picked port was taken before a node bound it; starting again on new ports`,
      );
    }
  }
}

async function startOnce(ctx: StartContext, dir: string): Promise<RunningSystem> {
  const specs = [];
  for (let i = 1; i <= NODES; i++) {
    specs.push({ id: `n${i}`, port: await freePort(), peerPort: await freePort() });
  }
  const peers = specs.map((s) => `${s.id}=127.0.0.1:${s.peerPort}`).join(',');
  const servers: ServerProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (const s of specs) {
      const dataDir = join(dir, s.id);
      mkdirSync(dataDir, { recursive: true });
      const child = spawnDistdb([
        'node',
        '--id',
        s.id,
        '--host',
        '127.0.0.1',
        '--port',
        String(s.port),
        '--peer-port',
        String(s.peerPort),
        '--peers',
        peers,
        '--data-dir',
        dataDir,
      ]);
      servers.push(manageServer(`distdb node ${s.id}`, child, join(dir, `${s.id}.log`)));
    }
    await Promise.all(servers.map((s) => s.waitFor(NODE_READY, READY_TIMEOUT_MS)));
    const leaderId = await waitForLeader(specs.map((s) => s.port));
    const leader = specs.find((s) => s.id === leaderId);
    if (!leader) throw new Error(`distdb reports leader "${leaderId}", which is not a node here`);
    const frames = new RespFrames(ctx.space);
    const processes = specs.map((spec, i) => ({
      pid: servers[i]!.pid,
      name: `${spec.id} coordinator${spec.id === leaderId ? ' (leader)' : ''}`,
      childName: `${spec.id} storage engine`,
    }));
    const tuned = tunedSettings();
    if (tuned !== '') {
      ctx.say(`distdb: not the defaults: ${tuned} (issue 5's targets are for the defaults)`);
    }
    return {
      name: 'distdb',
      endpoint: `leader ${leader.id} at 127.0.0.1:${leader.port}${tuned === '' ? '' : `, with ${tuned}`}`,
      serverProcesses: () => processes,
      connect: () => connectResp('127.0.0.1', leader.port, frames),
      preload: (progress) => respPreload(leader.port, ctx.space, progress),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The RAFT_* and STORAGE_* settings the nodes inherit from this environment, as NAME=value. */
export function tunedSettings(): string {
  return Object.entries(process.env)
    .filter(([k, v]) => /^(RAFT|STORAGE)_/.test(k) && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(' ');
}

async function status(port: number): Promise<ClusterStatus> {
  const c = await connect({ port, reconnect: false });
  try {
    return JSON.parse(String(await c.command('CLUSTER', 'STATUS'))) as ClusterStatus;
  } finally {
    await c.close();
  }
}

/** Waits until every node names the same leader; returns its id. */
async function waitForLeader(ports: readonly number[]): Promise<string> {
  const until = Date.now() + LEADER_TIMEOUT_MS;
  let last = '';
  while (Date.now() < until) {
    try {
      const all = await Promise.all(ports.map(status));
      const leaders = new Set(all.map((s) => s.leader));
      const leader = all[0]?.leader ?? null;
      if (leaders.size === 1 && leader !== null) return leader;
      last = JSON.stringify(all.map((s) => [s.id, s.role, s.leader]));
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `the distdb nodes agreed on no leader within ${LEADER_TIMEOUT_MS / 1000} s: ${last}`,
  );
}
