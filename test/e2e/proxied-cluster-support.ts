// Clusters whose nodes run as three parts each: the storage engine (`distdb
// storage`), a StorageProxy on a socket of its own, and the node's
// coordinator (node-coordinator-main.ts) connected through the proxy. A test
// can then hold a node's engine replies, e.g. its Raft log appends, and see
// what the node answers meanwhile. Every process is stopped by PID.

import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import { connect, type Client } from '../../src/index.js';
import { freePort, startDistdb, startScript, tempDir, type Proc } from '../helpers/processes.js';
import { StorageProxy } from '../helpers/storage-proxy.js';

const NODE_COORDINATOR_MAIN = resolve(
  fileURLToPath(import.meta.url),
  '../../helpers/node-coordinator-main.js',
);
const STORAGE_READY = /distdb storage ready/;
const COORDINATOR_READY = /node coordinator ready/;

export interface ProxiedNode {
  id: string;
  port: number;
  peerPort: number;
  /** Sits between this node's coordinator and its engine. */
  proxy: StorageProxy;
  /** The coordinator's process (its log: output()). */
  coordinator: Proc;
  /** The storage engine's process (restartEngine replaces it), its data dir and its socket. */
  engine: Proc;
  dataDir: string;
  engineSocket: string;
}

export class ProxiedCluster {
  readonly nodes: ProxiedNode[] = [];
  private readonly dir = tempDir('distdb-proxied-');
  private readonly engines: Proc[] = [];
  private readonly coordinators: Proc[] = [];
  private readonly proxies: StorageProxy[] = [];
  private readonly clients: Client[] = [];

  /** `extra`: flags of every node's coordinator (node-coordinator-main.ts), e.g. --request-timeout-ms. */
  private constructor(private readonly extra: string[]) {}

  /** Starts `n` nodes n1..n<n> as one new cluster. */
  static async start(n: number, extra: string[] = []): Promise<ProxiedCluster> {
    const c = new ProxiedCluster(extra);
    try {
      const specs = [];
      for (let i = 1; i <= n; i++) specs.push(await nodeSpec(`n${i}`));
      const peers = specs.map((s) => `${s.id}=127.0.0.1:${s.peerPort}`).join(',');
      for (const s of specs) await c.startNode(s, ['--peers', peers]);
      await Promise.all(c.coordinators.map((p) => p.waitFor(COORDINATOR_READY)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /**
   * Starts the node `spec` with an empty data dir, joining through `via`
   * (--join); its engine's replies to the ops in `hold` are held from the start.
   */
  async join(spec: NodeSpec, via: ProxiedNode, hold: number[] = []): Promise<ProxiedNode> {
    const node = await this.startNode(spec, ['--join', `127.0.0.1:${via.peerPort}`], hold);
    await this.coordinators[this.coordinators.length - 1]!.waitFor(COORDINATOR_READY);
    return node;
  }

  private async startNode(
    s: NodeSpec,
    clusterArgs: string[],
    hold: number[] = [],
  ): Promise<ProxiedNode> {
    const dataDir = join(this.dir.path, s.id);
    const engineSocket = join(this.dir.path, `${s.id}-engine.sock`);
    const proxySocket = join(this.dir.path, `${s.id}-proxy.sock`);
    const engine = await this.startEngine(dataDir, engineSocket);
    const proxy = await StorageProxy.start(proxySocket, engineSocket);
    for (const op of hold) proxy.hold(op);
    this.proxies.push(proxy);
    const coordinator = startScript(NODE_COORDINATOR_MAIN, [
      ...['--id', s.id, '--host', '127.0.0.1', '--port', String(s.port)],
      ...['--peer-port', String(s.peerPort), ...clusterArgs],
      ...['--data-dir', dataDir, '--socket', proxySocket, ...this.extra],
    ]);
    this.coordinators.push(coordinator);
    const node = { ...s, proxy, coordinator, engine, dataDir, engineSocket };
    this.nodes.push(node);
    return node;
  }

  private async startEngine(
    dataDir: string,
    socket: string,
    env: NodeJS.ProcessEnv = {},
  ): Promise<Proc> {
    const engine = startDistdb(['storage', '--data-dir', dataDir, '--socket', socket], { env });
    this.engines.push(engine);
    await engine.waitFor(STORAGE_READY);
    return engine;
  }

  /**
   * kill -9 of `node`'s engine (by PID), then the engine again on the same
   * data dir and socket with `env` (say another STORAGE_MAX_FRAME_SIZE),
   * its coordinator running on: it reconnects through the proxy.
   */
  async restartEngine(node: ProxiedNode, env: NodeJS.ProcessEnv = {}): Promise<void> {
    node.engine.kill('SIGKILL');
    await node.engine.exited;
    node.engine = await this.startEngine(node.dataDir, node.engineSocket, env);
  }

  /** A client of `node` whose requests fail after `timeoutMs` without a reply. */
  async client(node: ProxiedNode, timeoutMs = 15_000): Promise<Client> {
    const c = await connect({ port: node.port, timeoutMs });
    this.clients.push(c);
    return c;
  }

  /** Waits until every node names the same leader, and returns it. */
  async waitForLeader(timeoutMs = 20_000): Promise<ProxiedNode> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      try {
        const all = await Promise.all(this.nodes.map((n) => status(n)));
        const leader = this.nodes.find((n) => n.id === all[0]?.leader);
        if (leader && all.every((s) => s.leader === leader.id)) return leader;
        last = JSON.stringify(all.map((s) => [s.id, s.role, s.leader, s.term]));
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`no agreed leader within ${timeoutMs} ms: ${last}`);
  }

  /**
   * Stops proxies (so no coordinator waits on a held reply), coordinators,
   * then engines (by PID), and removes the data.
   */
  async stop(): Promise<void> {
    for (const c of this.clients) await c.close().catch(() => undefined);
    for (const p of this.proxies) await p.close();
    for (const p of this.coordinators) await p.stop();
    for (const p of this.engines) await p.stop();
    this.dir.remove();
  }
}

export interface NodeSpec {
  id: string;
  port: number;
  peerPort: number;
}

/** Ports for a node `id` not started yet: e.g. to CLUSTER ADD it before it runs. */
export async function nodeSpec(id: string): Promise<NodeSpec> {
  return { id, port: await freePort(), peerPort: await freePort() };
}

/** A node's CLUSTER STATUS, over a connection of its own. */
export async function status(node: ProxiedNode): Promise<ClusterStatus> {
  const c = await connect({ port: node.port, reconnect: false });
  try {
    return JSON.parse(String(await c.command('CLUSTER', 'STATUS'))) as ClusterStatus;
  } finally {
    await c.close();
  }
}
