// `distdb node`'s cluster flags (see /docs/cluster.md): who this node is,
// where its peers are, and the Raft settings tests and operators may change.

import type { Command } from 'commander';
import { networkInterfaces } from 'node:os';
import type { ClusterOptions } from '../coordinator/replication/cluster-node.js';
import { peersProblem } from '../coordinator/replication/initial-peers.js';
import { DEFAULT_REPLICATION } from '../coordinator/replication/replication-settings.js';
import { parsePeerAddress } from '../peer/address.js';
import {
  ConfigError,
  flagOn,
  parseByteSize,
  parsePort,
  parsePositiveInt,
  setting,
} from './config.js';

type Flags = Record<string, string | undefined>;

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('--id <id>', "this node's id, unique in the cluster (env NODE_ID; default n1)")
    .option(
      '--cluster-id <name>',
      'cluster name; peers of another cluster are refused (env CLUSTER_ID; default distdb)',
    )
    .option(
      '--peer-port <port>',
      'port for the other nodes (env NODE_PEER_PORT; default: the one --peers gives this node, else client port + 100)',
    )
    .option(
      '--peer-host <address>',
      'address the other nodes reach this node at (env NODE_PEER_HOST; default: its address in --peers, else --host, else with --host 0.0.0.0 the first non-loopback IPv4 address)',
    )
    .option(
      '--peers <list>',
      'initial voters as id=host:peerport,... including this node (a node joining a running cluster takes --join instead); only read on an empty data dir (env NODE_PEERS)',
    )
    .option(
      '--join <host:peerport>',
      'a new node: ask the member at this peer address to add it (env NODE_JOIN)',
    )
    .option(
      '--join-user <user>',
      'with --join, where the cluster requires logins: the admin user to join as (env NODE_JOIN_USER; default: default)',
    )
    .option(
      '--join-password <password>',
      "with --join: that user's password; prefer env NODE_JOIN_PASSWORD, which ps does not show (default: this node's --requirepass / NODE_PASSWORD)",
    )
    .option(
      '--snapshot-every <n>',
      `applied entries between Raft snapshots (env RAFT_SNAPSHOT_EVERY; default ${DEFAULT_REPLICATION.snapshotEvery})`,
    )
    .option(
      '--snapshot-bytes <size>',
      `also take a snapshot once the entries applied since the last one total this size, e.g. 64mb (env RAFT_SNAPSHOT_BYTES; default ${DEFAULT_REPLICATION.snapshotBytes / 2 ** 20}mb)`,
    )
    .option(
      '--compaction-hold-bytes <size>',
      `log a leader may hold past a due snapshot while a follower catches up, e.g. 1gb (env RAFT_COMPACTION_HOLD_BYTES; default ${DEFAULT_REPLICATION.compactionHoldBytes / 2 ** 30}gb)`,
    )
    .option(
      '--lazy-follower-ms <ms>',
      `a leader sends the followers a quorum does not need (and whose clients do not read) their entries at most this often, 0 to ${MAX_LAZY_FOLLOWER_MS}; 0 sends at once (env RAFT_LAZY_FOLLOWER_MS; default ${DEFAULT_REPLICATION.lazyFollowerMs})`,
    )
    .option(
      '--read-lease',
      'linearizable reads on the leader lease, without a heartbeat round each; assumes clock rates within 10% of each other (env RAFT_READ_LEASE=1; default off; docs/cluster.md, "Lease reads")',
    );
}

/** A lazy follower's wait stays far below an election timeout (1 s by default). */
const MAX_LAZY_FOLLOWER_MS = 100;

function parseLazyFollowerMs(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > MAX_LAZY_FOLLOWER_MS) {
    throw new ConfigError(
      `--lazy-follower-ms (RAFT_LAZY_FOLLOWER_MS) must be a whole number of ms from 0 to ${MAX_LAZY_FOLLOWER_MS}, got "${text}"`,
    );
  }
  return n;
}

/** `n1=10.0.0.1:7400,n2=10.0.0.2:7400` → { n1: '10.0.0.1:7400', ... } */
export function parsePeers(text: string): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const m = /^([^=\s]+)=(\S+):(\d{1,5})$/.exec(part);
    if (!m) {
      throw new ConfigError(
        `--peers (NODE_PEERS) entries must look like id=host:port, got "${part}"`,
      );
    }
    const id = m[1] as string;
    if (peers[id] !== undefined) throw new ConfigError(`--peers names node ${id} twice`);
    parsePort(m[3] as string, `the peer port of ${id} in --peers`);
    peers[id] = `${m[2]}:${m[3]}`;
  }
  return peers;
}

/** This machine's first non-loopback IPv4 address: where others reach a node listening on 0.0.0.0. */
function machineAddress(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Cluster options from flags, environment and the node's client address. */
export function clusterOptions(flags: Flags, host: string, clientPort: number): ClusterOptions {
  const id = setting(flags['id'], 'NODE_ID') ?? 'n1';
  const clusterId = setting(flags['clusterId'], 'CLUSTER_ID') ?? 'distdb';
  const peersText = setting(flags['peers'], 'NODE_PEERS');
  const join = setting(flags['join'], 'NODE_JOIN') ?? null;
  const peers = peersText === undefined ? null : parsePeers(peersText);
  // startCoordinator checks them too; here, distdb node refuses before it starts its engine.
  const problem = peersProblem({ id, peers, join });
  if (problem !== null) throw new ConfigError(problem);
  const own = peers?.[id];
  const ownAddress = own === undefined ? undefined : parsePeerAddress(own, `node ${id} in --peers`);
  const wildcard = host === '0.0.0.0' || host === '::';
  const peerHost =
    setting(flags['peerHost'], 'NODE_PEER_HOST') ??
    ownAddress?.host ??
    (wildcard ? machineAddress() : host);
  if (peerHost === undefined) {
    throw new ConfigError(
      `with --host ${host} and no network address found, give --peer-host: the address the other nodes reach this node at`,
    );
  }
  const peerPortText = setting(flags['peerPort'], 'NODE_PEER_PORT');
  const peerPort =
    peerPortText !== undefined
      ? parsePort(peerPortText, 'the peer port (--peer-port / NODE_PEER_PORT)')
      : (ownAddress?.port ?? (clientPort === 0 ? 0 : clientPort + 100));
  if (peerPort > 65535)
    throw new ConfigError(`the peer port would be ${peerPort}; give --peer-port`);
  const everyText = setting(flags['snapshotEvery'], 'RAFT_SNAPSHOT_EVERY');
  const settings = { ...DEFAULT_REPLICATION };
  if (everyText !== undefined) {
    settings.snapshotEvery = parsePositiveInt(everyText, '--snapshot-every (RAFT_SNAPSHOT_EVERY)');
  }
  const bytesText = setting(flags['snapshotBytes'], 'RAFT_SNAPSHOT_BYTES');
  if (bytesText !== undefined) {
    settings.snapshotBytes = parseByteSize(bytesText, '--snapshot-bytes (RAFT_SNAPSHOT_BYTES)');
  }
  const holdText = setting(flags['compactionHoldBytes'], 'RAFT_COMPACTION_HOLD_BYTES');
  if (holdText !== undefined) {
    settings.compactionHoldBytes = parseByteSize(
      holdText,
      '--compaction-hold-bytes (RAFT_COMPACTION_HOLD_BYTES)',
    );
  }
  const lazyText = setting(flags['lazyFollowerMs'], 'RAFT_LAZY_FOLLOWER_MS');
  if (lazyText !== undefined) settings.lazyFollowerMs = parseLazyFollowerMs(lazyText);
  settings.readLease = flagOn(flags['readLease'], 'RAFT_READ_LEASE', '--read-lease');
  return {
    id,
    clusterId,
    peerHost,
    peerPort,
    peers,
    join,
    joinLogin: joinLogin(flags, join),
    settings,
  };
}

/**
 * The admin login a join request carries (a cluster that requires logins
 * admits no one without it): --join-user / --join-password, or this node's
 * own --requirepass as the default user, which a node of a cluster with one
 * password is started with anyway.
 */
function joinLogin(flags: Flags, join: string | null): { user: string; password: string } | null {
  const user = setting(flags['joinUser'], 'NODE_JOIN_USER');
  const password =
    setting(flags['joinPassword'], 'NODE_JOIN_PASSWORD') ??
    (user === undefined ? setting(flags['requirepass'], 'NODE_PASSWORD') : undefined);
  if (join === null) return null; // a node that joined long ago may keep them in its settings
  if (user !== undefined && password === undefined) {
    throw new ConfigError(
      `--join-user ${user} needs --join-password (env NODE_JOIN_PASSWORD): the password of that user`,
    );
  }
  if (password === '') throw new ConfigError('the join password (--join-password) is empty');
  return password === undefined ? null : { user: user ?? 'default', password };
}
