// etcd as its users run it: a 3-member cluster of `etcd` (3.4, Debian's
// etcd-server) on loopback, data in the temp dir, fsync on every commit (its
// only mode). The clients talk to the leader's client URL, as they do on
// distdb; reads are linearizable (etcd's default).

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { etcdConnection } from '../etcd-connection.js';
import { freePort } from '../free-port.js';
import { manageServer, type ServerProcess } from '../server-process.js';
import { inBatches } from './batches.js';
import type { RunningSystem, StartContext } from './system.js';

export const ETCD_BINARY = '/usr/bin/etcd';
const MEMBERS = 3;
const LEADER_TIMEOUT_MS = 30_000;
/** etcd's default limit of operations in one transaction (--max-txn-ops). */
const MAX_TXN_OPS = 128;

export async function startEtcdCluster(ctx: StartContext): Promise<RunningSystem> {
  const specs = [];
  for (let i = 1; i <= MEMBERS; i++) {
    specs.push({
      name: `e${i}`,
      client: `http://127.0.0.1:${await freePort()}`,
      peer: `http://127.0.0.1:${await freePort()}`,
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
  const servers: ServerProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (const s of specs) {
      const args = [
        '--name', s.name,
        '--data-dir', join(ctx.dir, s.name),
        '--listen-client-urls', s.client,
        '--advertise-client-urls', s.client,
        '--listen-peer-urls', s.peer,
        '--initial-advertise-peer-urls', s.peer,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'distdb-compare',
        '--logger', 'zap',
        '--log-outputs', 'stderr',
        '--log-level', 'warn',
      ]; // prettier-ignore
      const child = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      servers.push(manageServer(`etcd ${s.name}`, child, join(ctx.dir, `${s.name}.log`)));
    }
    const leader = await waitForLeader(specs.map((s) => s.client));
    const shared = new Etcd3({ hosts: leader });
    const processes = specs.map((spec, i) => ({
      pid: servers[i]!.pid,
      name: `${spec.name}${spec.client === leader ? ' (leader)' : ''}`,
      childName: null,
    }));
    return {
      name: 'etcd',
      endpoint: `leader ${leader}`,
      serverProcesses: () => processes,
      connect: () => Promise.resolve(etcdConnection(shared, ctx.space)),
      preload: (progress) => preload(shared, ctx, progress),
      stop: async () => {
        shared.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until every member names the same leader; returns the leader's client URL. */
async function waitForLeader(endpoints: readonly string[]): Promise<string> {
  const clients = endpoints.map((e) => new Etcd3({ hosts: e, dialTimeout: 1000 }));
  const until = Date.now() + LEADER_TIMEOUT_MS;
  let last = '';
  try {
    while (Date.now() < until) {
      try {
        const all = await Promise.all(clients.map((c) => c.maintenance.status()));
        const leaders = new Set(all.map((s) => s.leader));
        const leader = all[0]?.leader;
        if (leaders.size === 1 && leader !== undefined && leader !== '0') {
          const { members } = await clients[0]!.cluster.memberList({});
          const url = members.find((m) => m.ID === leader)?.clientURLs[0];
          if (url) return url;
        }
        last = `leaders seen: ${[...leaders].join(', ')}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(200);
    }
  } finally {
    for (const c of clients) c.close();
  }
  throw new Error(
    `the etcd members agreed on no leader within ${LEADER_TIMEOUT_MS / 1000} s: ${last}`,
  );
}

/** Transactions of 128 puts (etcd's per-transaction limit), 8 in flight. */
async function preload(c: Etcd3, ctx: StartContext, progress: (n: number) => void): Promise<void> {
  const { keys, value } = ctx.space;
  await inBatches(
    keys.length,
    MAX_TXN_OPS,
    8,
    async (from, to) => {
      const success = keys.slice(from, to).map((key) => ({ request_put: { key, value } }));
      await c.kv.txn({ success });
    },
    progress,
  );
}
