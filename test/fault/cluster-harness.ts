// A real cluster for fault tests: N `distdb node` processes, each bound to
// its own loopback address (127.0.0.11, .12, ...; Linux routes all of 127/8
// to lo), with temp data dirs and a cluster id of its own. Nodes can be
// killed (-9, the node and its storage engine), paused (SIGSTOP/SIGCONT) and
// restarted on the same data dir. stop() ends every process it started.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { ClusterStatus } from '../../src/coordinator/replication/replication.js';
import { connect, type Client } from '../../src/index.js';
import { DISTDB_MAIN, freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { TEST_ADDRESSES } from './iptables.js';

export const NODE_READY = /distdb node ready host=(\S+) port=(\d+)/;
const STORAGE_PID = /storage engine running pid=(\d+)/g;

export interface TestNode {
  id: string;
  host: string;
  port: number;
  peerPort: number;
  dataDir: string;
  /** The running `distdb node` process, or null while it is down. */
  proc: Proc | null;
  paused: boolean;
  /** Output of earlier incarnations (before kills/restarts), for post-mortems. */
  pastOutput: string;
  /** Peer address of a member to join through (a node added later), else null: an initial voter. */
  joinVia: string | null;
}

export interface ClusterOptions {
  /** How many nodes (at most 9). Default 3. */
  size?: number;
  /** Extra `distdb node` flags for every node. */
  extraArgs?: string[];
  /** Prefix of the cluster id (a unique suffix is added). */
  name?: string;
}

/** Every node pid this process ever started and has not seen exit: killed on exit. */
const livePids = new Set<number>();
let exitHookInstalled = false;
function killLeftovers(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killLeftovers);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  }
}

/** Nodes start with the orphan guard, so they stop if this process is killed outright. */
const ORPHAN_GUARD = pathToFileURL(join(DISTDB_MAIN, '..', 'orphan-guard.js')).href;

let clusterCounter = 0;

export class TestCluster {
  readonly nodes: TestNode[] = [];
  readonly clusterId: string;
  private readonly dirs: Array<{ path: string; remove(): void }> = [];
  private readonly admins = new Map<string, Client>();
  /** Every client handed out, closed by stop() (a reconnecting client keeps this process alive). */
  private readonly clients = new Set<Client>();
  private readonly extraArgs: string[];
  /** Run first by stop(): whatever drives load against the cluster stops before it does. */
  private readonly stopHooks: Array<() => Promise<void>> = [];
  /** Nodes removed by forget(), kept for their logs. */
  private readonly forgotten: TestNode[] = [];

  private constructor(name: string, extraArgs: string[]) {
    this.clusterId = `${name}-${process.pid}-${++clusterCounter}-${Date.now() % 100000}`;
    this.extraArgs = extraArgs;
  }

  /** Starts the nodes and waits until every one serves and a leader is elected. */
  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    installExitHook();
    const size = options.size ?? 3;
    if (size < 1 || size > TEST_ADDRESSES.length) throw new Error(`cluster size ${size}`);
    const cluster = new TestCluster(options.name ?? 'fault', options.extraArgs ?? []);
    try {
      for (let i = 0; i < size; i++) await cluster.addNode(null);
      await Promise.all(cluster.nodes.map((n) => cluster.launch(n)));
      await cluster.waitForLeader();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** The initial voters, as --peers wants them. */
  get peersFlag(): string {
    return this.nodes
      .filter((n) => n.joinVia === null)
      .map((n) => `${n.id}=${n.host}:${n.peerPort}`)
      .join(',');
  }

  /**
   * Starts a new, empty node on the next test address that joins through
   * `via`'s peer address (`--join`); the cluster adds it as a learner and
   * promotes it. Resolves once it serves clients.
   */
  async join(via: string): Promise<TestNode> {
    const v = this.node(via);
    const n = await this.addNode(`${v.host}:${v.peerPort}`);
    await this.launch(n);
    return n;
  }

  /** Adds (without starting) node n<k> on the next test address with a data dir of its own. */
  private async addNode(joinVia: string | null): Promise<TestNode> {
    const i = this.nodes.length;
    const host = TEST_ADDRESSES[i];
    if (host === undefined) throw new Error('no test address left for another node');
    const dir = tempDir('distdb-fault-');
    this.dirs.push(dir);
    const n: TestNode = {
      id: `n${i + 1}`,
      host,
      port: await freePort(host),
      peerPort: await freePort(host),
      dataDir: dir.path,
      proc: null,
      paused: false,
      pastOutput: '',
      joinVia,
    };
    this.nodes.push(n);
    return n;
  }

  /** Stops a node (removed from the cluster) and leaves it out of every later check. */
  async forget(id: string): Promise<void> {
    const n = this.node(id);
    await this.dropAdmin(id);
    const proc = n.proc;
    if (proc) {
      const children = this.storagePids(n);
      await proc.stop(5000);
      for (const pid of children) if (!(await waitGone(pid, 5000))) signal(pid, 'SIGKILL');
      n.pastOutput += proc.output();
      n.proc = null;
    }
    this.nodes.splice(this.nodes.indexOf(n), 1);
    this.forgotten.push(n);
  }

  node(id: string): TestNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id} (have ${this.nodes.map((x) => x.id).join(', ')})`);
    return n;
  }

  private async launch(n: TestNode): Promise<void> {
    const args = [
      'node',
      '--id',
      n.id,
      '--cluster-id',
      this.clusterId,
      '--host',
      n.host,
      '--port',
      String(n.port),
      '--peer-port',
      String(n.peerPort),
      ...(n.joinVia === null ? ['--peers', this.peersFlag] : ['--join', n.joinVia]),
      '--data-dir',
      n.dataDir,
      ...this.extraArgs,
    ];
    const inherited = process.env['NODE_OPTIONS'] ?? '';
    const proc = startDistdb(args, {
      env: { NODE_OPTIONS: `${inherited} --import ${ORPHAN_GUARD}`.trim() },
    });
    livePids.add(proc.pid);
    void proc.exited.then(() => livePids.delete(proc.pid));
    n.proc = proc;
    n.paused = false;
    try {
      await proc.waitFor(NODE_READY);
    } catch (e) {
      proc.kill('SIGKILL');
      await proc.exited;
      n.pastOutput += proc.output();
      n.proc = null;
      throw e;
    }
  }

  /** The pids of the storage engine(s) the node runs: from its output and from /proc. */
  storagePids(n: TestNode): number[] {
    if (!n.proc) return [];
    const pids = new Set<number>();
    for (const m of n.proc.output().matchAll(STORAGE_PID)) pids.add(Number(m[1]));
    for (const pid of childrenOf(n.proc.pid)) pids.add(pid);
    return [...pids].filter(isAlive);
  }

  /** kill -9 the node process and its storage engine; waits until both are gone. */
  async kill(id: string): Promise<void> {
    const n = this.node(id);
    const proc = n.proc;
    if (!proc) return;
    await this.dropAdmin(id);
    // Find the children before the parent dies: afterwards they are re-parented.
    const children = this.storagePids(n);
    proc.kill('SIGKILL');
    for (const pid of children) signal(pid, 'SIGKILL');
    await proc.exited;
    for (const pid of children) await waitGone(pid);
    n.pastOutput += proc.output() + `\n--- killed -9 by the test at ${new Date().toISOString()}\n`;
    n.proc = null;
    n.paused = false;
  }

  /** kill -9 only the node's storage engine (its node restarts it). */
  killStorage(id: string): number[] {
    const pids = this.storagePids(this.node(id));
    for (const pid of pids) signal(pid, 'SIGKILL');
    return pids;
  }

  /** Starts a node that is down again, on its data dir. */
  async restart(id: string): Promise<void> {
    const n = this.node(id);
    if (n.proc) throw new Error(`${id} is still running`);
    await this.launch(n);
  }

  pause(id: string): void {
    const n = this.node(id);
    if (!n.proc || n.paused) return;
    n.proc.kill('SIGSTOP');
    n.paused = true;
  }

  resume(id: string): void {
    const n = this.node(id);
    if (!n.proc || !n.paused) return;
    n.proc.kill('SIGCONT');
    n.paused = false;
  }

  /** A client on the node's client address with short timeouts; stop() closes it. */
  async client(id: string, timeoutMs = 2000): Promise<Client> {
    const n = this.node(id);
    const c = await connect({
      host: n.host,
      port: n.port,
      timeoutMs,
      connectTimeoutMs: 1000,
      maxReconnectDelayMs: 250,
    });
    this.clients.add(c);
    return c;
  }

  private async admin(id: string): Promise<Client> {
    let c = this.admins.get(id);
    if (!c) {
      c = await this.client(id, 1000);
      this.admins.set(id, c);
    }
    return c;
  }

  private async dropAdmin(id: string): Promise<void> {
    const c = this.admins.get(id);
    this.admins.delete(id);
    await c?.close().catch(() => undefined);
  }

  /** The node's CLUSTER STATUS, or null if it does not answer in time. */
  async status(id: string): Promise<ClusterStatus | null> {
    const n = this.node(id);
    if (!n.proc || n.paused) return null;
    try {
      const c = await this.admin(id);
      const reply = await c.command('CLUSTER', 'STATUS');
      const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
      return JSON.parse(text) as ClusterStatus;
    } catch {
      await this.dropAdmin(id);
      return null;
    }
  }

  /** Every running, unpaused node's status (null where it did not answer). */
  async statuses(ids = this.nodes.map((n) => n.id)): Promise<Map<string, ClusterStatus | null>> {
    const all = await Promise.all(ids.map(async (id) => [id, await this.status(id)] as const));
    return new Map(all);
  }

  /**
   * Waits for a leader that a majority of the voters agrees on: a node in
   * `among` says it leads, and a majority of all voters (counting only those
   * in `among` that answer) report it as leader in the same term.
   * Resolves with its id and how long the wait took.
   */
  async waitForLeader(
    options: { among?: string[]; timeoutMs?: number } = {},
  ): Promise<{ leader: string; term: number; waitedMs: number }> {
    const among = options.among ?? this.nodes.map((n) => n.id);
    const timeoutMs = options.timeoutMs ?? 20_000;
    const started = performance.now();
    let last = '';
    while (performance.now() - started < timeoutMs) {
      const st = await this.statuses(among);
      const voters = Math.max(
        this.nodes.length,
        ...[...st.values()].map((s) => s?.members.filter((m) => m.role === 'voter').length ?? 0),
      );
      for (const s of st.values()) {
        if (!s || s.role !== 'leader') continue;
        const agree = [...st.values()].filter(
          (o) => o && o.leader === s.id && o.term === s.term,
        ).length;
        if (agree > voters / 2) {
          return { leader: s.id, term: s.term, waitedMs: performance.now() - started };
        }
      }
      last = [...st].map(([id, s]) => `${id}: ${s ? describe(s) : 'no answer'}`).join('; ');
      await sleep(100);
    }
    throw new Error(`no leader among ${among.join(',')} within ${timeoutMs} ms (${last})`);
  }

  /**
   * Waits until every given node has applied everything the most advanced of
   * them has committed (so local reads on each see the same state).
   */
  async waitConverged(
    ids = this.nodes.map((n) => n.id),
    timeoutMs = 30_000,
  ): Promise<Map<string, ClusterStatus>> {
    const until = performance.now() + timeoutMs;
    let last = '';
    while (performance.now() < until) {
      const st = await this.statuses(ids);
      const ok = [...st.values()].filter((s): s is ClusterStatus => s !== null);
      if (ok.length === ids.length) {
        const commit = Math.max(...ok.map((s) => s.commit));
        if (ok.every((s) => s.applied === commit)) {
          return new Map(ok.map((s) => [s.id, s]));
        }
      }
      last = [...st].map(([id, s]) => `${id}: ${s ? describe(s) : 'no answer'}`).join('; ');
      await sleep(200);
    }
    throw new Error(`nodes did not converge within ${timeoutMs} ms (${last})`);
  }

  /**
   * Reads `keys` from the node's own state (READONLY: local, possibly stale
   * reads), on a fresh connection that does not reconnect, so the mode holds.
   */
  async readLocal(id: string, keys: readonly string[]): Promise<Map<string, string | null>> {
    const n = this.node(id);
    const c = await connect({ host: n.host, port: n.port, timeoutMs: 5000, reconnect: false });
    try {
      await c.command('READONLY');
      const out = new Map<string, string | null>();
      for (let i = 0; i < keys.length; i += 256) {
        const batch = keys.slice(i, i + 256);
        const values = await c.mget(batch);
        batch.forEach((k, j) => out.set(k, values[j]?.toString('utf8') ?? null));
      }
      return out;
    } finally {
      await c.close();
    }
  }

  /** Every node's output (all incarnations) in one file; returns its path. */
  saveLogs(path: string): string {
    const text = [...this.nodes, ...this.forgotten]
      .map((n) => `===== ${n.id} ${n.host}:${n.port} peer ${n.peerPort}\n${this.outputOf(n)}`)
      .join('\n');
    writeFileSync(path, text);
    return path;
  }

  private outputOf(n: TestNode): string {
    return n.pastOutput + (n.proc?.output() ?? '');
  }

  /** Stops every node (resuming paused ones first), closes clients, removes data dirs. */
  /** `hook` runs at the start of stop(), e.g. to end a load generator. */
  onStop(hook: () => Promise<void>): void {
    this.stopHooks.push(hook);
  }

  async stop(): Promise<void> {
    for (const hook of this.stopHooks.splice(0)) await hook().catch(() => undefined);
    for (const id of [...this.admins.keys()]) await this.dropAdmin(id);
    for (const c of this.clients) await c.close().catch(() => undefined);
    this.clients.clear();
    await Promise.all(
      this.nodes.map(async (n) => {
        const proc = n.proc;
        if (!proc) return;
        const children = this.storagePids(n);
        if (n.paused) proc.kill('SIGCONT');
        await proc.stop(5000);
        for (const pid of children) {
          if (!(await waitGone(pid, 5000))) signal(pid, 'SIGKILL');
        }
        n.pastOutput += proc.output();
        n.proc = null;
      }),
    );
    for (const d of this.dirs) d.remove();
  }
}

function describe(s: ClusterStatus): string {
  return `${s.role} term ${s.term} leader ${s.leader ?? '-'} commit ${s.commit} applied ${s.applied}`;
}

/** Live child pids of `pid`, from /proc/<pid>/task/<tid>/children. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSafe(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process ended while we looked
  }
  return out;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await sleep(25);
  }
  return false;
}
