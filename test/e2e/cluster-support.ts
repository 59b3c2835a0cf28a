// Real local clusters for the cluster end-to-end tests: `distdb node`
// processes on 127.0.0.1 with free client and peer ports and temp data dirs,
// killed with kill -9 (node and storage engine by PID), restarted on the same
// data, and asked for CLUSTER STATUS.

import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import { connect, ReplyError, type Arg, type Client } from '../../src/index.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { isAlive, NODE_READY, storagePid, waitGone } from './node-helpers.js';

export interface ClusterNodeProc {
  id: string;
  port: number;
  peerPort: number;
  dataDir: string;
  proc: Proc | null;
  /** Environment of this node's processes beyond the test's own (e.g. its STORAGE_MAX_FRAME_SIZE). */
  env?: NodeJS.ProcessEnv;
}

export class TestCluster {
  readonly nodes: ClusterNodeProc[] = [];
  private readonly dir = tempDir('distdb-cluster-');
  private readonly clients: Client[] = [];

  constructor(
    private readonly extra: string[] = [],
    /** Credentials the harness's own clients authenticate with (nodes started with --requirepass). */
    private readonly credentials: { user?: string; password?: string } = {},
  ) {}

  /** Starts `n` nodes as one new cluster; `env`: a node's own environment, by id. */
  static async start(
    n: number,
    extra: string[] = [],
    credentials: { user?: string; password?: string } = {},
    env: Record<string, NodeJS.ProcessEnv> = {},
  ): Promise<TestCluster> {
    const c = new TestCluster(extra, credentials);
    for (let i = 1; i <= n; i++) await c.addNodeSpec(`n${i}`, env[`n${i}`]);
    const peers = c.nodes.map((x) => `${x.id}=127.0.0.1:${x.peerPort}`).join(',');
    try {
      await Promise.all(c.nodes.map((x) => c.run(x, ['--peers', peers])));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  async addNodeSpec(id: string, env?: NodeJS.ProcessEnv): Promise<ClusterNodeProc> {
    const node: ClusterNodeProc = {
      id,
      port: await freePort(),
      peerPort: await freePort(),
      dataDir: `${this.dir.path}/${id}`,
      proc: null,
      ...(env ? { env } : {}),
    };
    this.nodes.push(node);
    return node;
  }

  /** Starts (or restarts) a node's process on its data dir. */
  async run(node: ClusterNodeProc, args: string[] = []): Promise<void> {
    const proc = startDistdb(
      [
        'node',
        '--id',
        node.id,
        '--host',
        '127.0.0.1',
        '--port',
        String(node.port),
        '--peer-port',
        String(node.peerPort),
        '--data-dir',
        node.dataDir,
        ...this.extra,
        ...args,
      ],
      node.env ? { env: node.env } : {},
    );
    node.proc = proc;
    await proc.waitFor(NODE_READY);
  }

  node(id: string): ClusterNodeProc {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** kill -9 of the node process and its storage engine. */
  async kill9(node: ClusterNodeProc): Promise<void> {
    const proc = node.proc;
    if (!proc) return;
    const engine = await storagePid(proc);
    proc.kill('SIGKILL');
    if (isAlive(engine)) process.kill(engine, 'SIGKILL');
    await proc.exited;
    await waitGone(engine);
    node.proc = null;
  }

  async client(node: ClusterNodeProc, timeoutMs = 15_000): Promise<Client> {
    const c = await connect({ port: node.port, timeoutMs, ...this.credentials });
    this.clients.push(c);
    return c;
  }

  async status(node: ClusterNodeProc): Promise<ClusterStatus> {
    const c = await connect({ port: node.port, reconnect: false, ...this.credentials });
    try {
      const r = await c.command('CLUSTER', 'STATUS');
      return JSON.parse(String(r)) as ClusterStatus;
    } finally {
      await c.close();
    }
  }

  /** Waits until every running node names the same leader; returns its id. */
  async waitForLeader(timeoutMs = 20_000, among = this.running()): Promise<string> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      try {
        const all = await Promise.all(among.map((n) => this.status(n)));
        const leaders = new Set(all.map((s) => s.leader));
        const leader = all[0]?.leader ?? null;
        if (leaders.size === 1 && leader !== null && all.some((s) => s.role === 'leader')) {
          return leader;
        }
        last = JSON.stringify(all.map((s) => [s.id, s.role, s.leader, s.term]));
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`no agreed leader within ${timeoutMs} ms: ${last}`);
  }

  /** Asserts that every acknowledged write (key → value) reads back through every node. */
  async assertAckedEverywhere(acked: Map<string, string>): Promise<void> {
    const keys = [...acked.keys()];
    for (const n of this.nodes) {
      const values = await (await this.client(n)).mget(keys);
      keys.forEach((k, i) =>
        assert.equal(values[i]?.toString(), acked.get(k), `${k} missing on ${n.id}`),
      );
    }
  }

  running(): ClusterNodeProc[] {
    return this.nodes.filter((n) => n.proc !== null);
  }

  async stop(): Promise<void> {
    for (const c of this.clients) await c.close().catch(() => undefined);
    for (const n of this.nodes) {
      const proc = n.proc;
      if (!proc) continue;
      const engine = await storagePid(proc).catch(() => null);
      await proc.stop(5000);
      if (engine !== null && isAlive(engine)) process.kill(engine, 'SIGKILL');
      n.proc = null;
    }
    this.dir.remove();
  }
}

/**
 * MGET through a node that may still be catching up after a restart: its
 * linearizable read can outlast the request timeout on a loaded machine, so
 * TRYAGAIN is retried until `until` (a Date.now() time).
 */
export async function mgetCatchingUp(
  c: Client,
  keys: readonly Arg[],
  until: number,
): Promise<Array<Buffer | null>> {
  for (;;) {
    try {
      return await c.mget(keys);
    } catch (err) {
      if (!(err instanceof ReplyError && err.code === 'TRYAGAIN' && Date.now() < until)) throw err;
    }
  }
}

/**
 * Writes `count` values of `bytes` each ('big-<i>', every byte i), 8 at a
 * time: an image many snapshot chunks long. A loaded machine can make a
 * write miss its deadline (TRYAGAIN); it is retried, as a client would, and
 * writing the same value again is harmless if the first one was applied.
 */
export async function putBigValues(c: Client, count: number, bytes: number): Promise<void> {
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) =>
      putUntilOk(c, `big-${i + j}`, Buffer.alloc(bytes, i + j), 60_000),
    );
    await Promise.all(batch);
  }
}

/**
 * Leaves a follower behind the leader: kill -9 of one, then `count` values
 * of `bytes` written through the leader (putBigValues), which a snapshot of
 * many chunks then carries. Answers the leader, the stopped follower and the
 * client that wrote.
 */
export async function followerBehindBigValues(
  cluster: TestCluster,
  count: number,
  bytes: number,
): Promise<{ leader: ClusterNodeProc; follower: ClusterNodeProc; client: Client }> {
  const leader = cluster.node(await cluster.waitForLeader());
  const follower = cluster.nodes.find((n) => n !== leader)!;
  await cluster.kill9(follower);
  const client = await cluster.client(leader, 60_000);
  await putBigValues(client, count, bytes);
  return { leader, follower, client };
}

/**
 * Waits until `node` logs a compaction of its log (it runs with `--log-level
 * info`) after the first `since` characters of its output. A follower killed
 * before then lacks entries only a snapshot can give it. A leader holds its
 * compactions for a follower it heard from within the last check-quorum
 * round (catch-up-watch.ts): up to two rounds (2 s) after a kill, longer
 * when its timers run late. Writes that end sooner leave the whole log, and
 * a follower restarted then catches up from it instead of from a snapshot.
 */
export async function compactedSince(
  node: ClusterNodeProc,
  since = 0,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!/snapshot taken; log compacted/.test(node.proc!.output().slice(since))) {
    assert.ok(Date.now() < until, `${node.id} compacted no log within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Writes `key` through `client` until acknowledged, retrying TRYAGAIN/CLUSTERDOWN; throws the last error after `timeoutMs`. */
export async function putUntilOk(
  client: Client,
  key: string,
  value: Arg,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.put(key, value);
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      if (err instanceof ReplyError && !/^(TRYAGAIN|CLUSTERDOWN)/.test(err.message)) throw err;
      await sleep(50);
    }
  }
}

/**
 * Writes unique keys `${name}-${i}` one at a time until stopped, recording what
 * was acknowledged and the error replies seen (a failed connection to a killed
 * node records nothing); `ackTimes`: when each was acknowledged (Date.now());
 * `paceMs`: a pause after each acknowledged write, for a light load.
 */
export function startWriter(
  client: Client,
  name: string,
  acked: Map<string, string>,
  errors: string[],
  opts: { ackTimes?: number[]; paceMs?: number } = {},
): { stop(): Promise<void> } {
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const key = `${name}-${i}`;
      try {
        await client.put(key, `v${i}`);
        acked.set(key, `v${i}`);
        opts.ackTimes?.push(Date.now());
        if (opts.paceMs) await sleep(opts.paceMs);
      } catch (err) {
        if (err instanceof ReplyError) errors.push(err.message);
        await sleep(20);
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
