// Shared by the peer transport end-to-end tests: real transports on
// loopback sockets in this process, with their logs, received messages,
// requests and unreachable reports recorded for assertions.

import { Writable } from 'node:stream';
import pino from 'pino';
import { startPeerTransport, type PeerLimits, type PeerTransport } from '../../src/peer/index.js';
import type { Message, NodeId } from '../../src/raft/types.js';

export interface TestPeer {
  id: NodeId;
  transport: PeerTransport;
  /** host:port of its listener. */
  address: string;
  /** One entry per onMessages call. */
  batches: { from: NodeId; messages: Message[] }[];
  unreachable: NodeId[];
  requests: { from: NodeId; payload: string }[];
  logs: string[];
  received(): Message[];
  waitForLog(re: RegExp, ms?: number): Promise<string>;
}

/** Logs of the peers started by this test file, shown when a wait fails. */
const allLogs = new Map<string, string[]>();

/** Polls `cond` until it holds; fails after `ms` with `what` (a bound for a broken build, not a timing assertion). */
export async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) {
      const logs = [...allLogs].map(([id, lines]) => `--- ${id}\n${lines.slice(-15).join('\n')}`);
      throw new Error(`timed out waiting until ${what}; recent logs:\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Requests are answered by `respond` (default: echo in upper case; "fail"
 * rejects, "hang" never answers).
 */
export async function startPeer(
  id: NodeId,
  opts: {
    clusterId?: string;
    host?: string;
    port?: number;
    peers?: Record<NodeId, string>;
    limits?: Partial<PeerLimits>;
  } = {},
): Promise<TestPeer> {
  const logs: string[] = [];
  allLogs.set(`${id}#${allLogs.size}`, logs);
  const logWaiters = new Set<() => void>();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const { level, msg } = JSON.parse(line) as { level: number; msg: string };
        logs.push(`${level >= 40 ? 'WARN' : 'INFO'} ${msg}`);
      }
      for (const w of [...logWaiters]) w();
      done();
    },
  });
  const batches: TestPeer['batches'] = [];
  const unreachable: NodeId[] = [];
  const requests: TestPeer['requests'] = [];
  const transport = await startPeerTransport({
    nodeId: id,
    clusterId: opts.clusterId ?? 'test-cluster',
    listen: { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 },
    peers: opts.peers ?? {},
    onMessages: (messages, from) => batches.push({ from, messages }),
    onRequest: async (from, payload) => {
      const text = payload.toString('utf8');
      requests.push({ from, payload: text });
      if (text === 'fail') throw new Error('the handler failed on purpose');
      if (text === 'hang') return new Promise<Uint8Array>(() => {});
      return Buffer.from(`${id}:${text.toUpperCase()}`);
    },
    onUnreachable: (peer) => unreachable.push(peer),
    logger: pino({ level: 'debug' }, sink),
    limits: { connectTimeoutMs: 1000, backoffInitialMs: 20, backoffMaxMs: 200, ...opts.limits },
  });
  return {
    id,
    transport,
    address: `${transport.address.host}:${transport.address.port}`,
    batches,
    unreachable,
    requests,
    logs,
    received: () => batches.flatMap((b) => b.messages),
    waitForLog(re, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = logs.find((l) => re.test(l));
          if (hit === undefined) return false;
          logWaiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          logWaiters.delete(check);
          reject(new Error(`no log line of ${id} matches ${re}; got:\n${logs.join('\n')}`));
        }, ms);
        if (!check()) logWaiters.add(check);
      });
    },
  };
}

/** Starts nodes and points each at all the others; resolves once every link is up. */
export async function startCluster(
  ids: NodeId[],
  limits?: Partial<PeerLimits>,
): Promise<TestPeer[]> {
  const nodes = await Promise.all(ids.map((id) => startPeer(id, { limits })));
  const peers = Object.fromEntries(nodes.map((n) => [n.id, n.address]));
  for (const n of nodes) n.transport.setPeers(peers);
  await until('every link is connected', () => nodes.every((n) => allConnected(n)));
  return nodes;
}

export function allConnected(n: TestPeer): boolean {
  return Object.values(n.transport.stats().peers).every((p) => p.connected && p.inbound);
}

export function message(from: NodeId, to: NodeId, index: number, group = 1): Message {
  return {
    type: 'append',
    group,
    from,
    to,
    term: 2,
    logTerm: 2,
    index,
    entries: [{ term: 2, index: index + 1, type: 'normal', data: Buffer.from(`entry ${index}`) }],
    commit: index,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: null,
  };
}
