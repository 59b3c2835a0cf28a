// A real node (storage engine process, coordinator with its Raft group in
// this process) runs a known set of commands; its Prometheus exposition,
// fetched from GET /metrics on its HTTP port, must parse strictly and every
// counter must move by exactly what was run.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import {
  DEFAULT_REPLICATION,
  startCoordinator,
  type CoordinatorHandle,
} from '../../src/coordinator/index.js';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { startDistdb, tempDir, type Proc } from '../helpers/processes.js';
import { parsePrometheusText, seriesKey, type Scrape } from '../helpers/prometheus-text.js';
import { RawConnection, text } from './coordinator-support.js';

let dir: ReturnType<typeof tempDir>;
let storage: Proc;
let node: CoordinatorHandle;

before(async () => {
  dir = tempDir('distdb-metrics-');
  const socket = join(dir.path, 'storage.sock');
  storage = startDistdb(['storage', '--data-dir', join(dir.path, 'data'), '--socket', socket]);
  await storage.waitFor(/distdb storage ready/);
  node = await startCoordinator({
    port: 0,
    httpPort: 0,
    socket,
    logger: pino({ level: 'silent' }),
    cluster: {
      id: 'n1',
      clusterId: 'metrics-test',
      peerHost: '127.0.0.1',
      peerPort: 0,
      peers: null,
      join: null,
      // Snapshots every few entries, so the test sees some taken.
      settings: { ...DEFAULT_REPLICATION, snapshotEvery: 4 },
    },
  });
});

after(async () => {
  await node?.close();
  await storage?.stop();
  dir?.remove();
});

async function scrape(): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${node.httpPort}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), node.metrics.registry.contentType);
  return parsePrometheusText(await res.text());
}

function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const v = s.samples.get(seriesKey(name, labels));
  assert.notEqual(v, undefined, `no series ${seriesKey(name, labels)}`);
  return v as number;
}

/** Scrapes until `ready` holds (the single node elects itself within a few ticks). */
async function scrapeUntil(ready: (s: Scrape) => boolean): Promise<Scrape> {
  for (let i = 0; i < 200; i++) {
    const s = await scrape();
    if (ready(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the node never reached the awaited state');
}

test('metrics move by exactly the commands run', async () => {
  const before = await scrapeUntil(
    (s) =>
      s.samples.get(seriesKey('distdb_raft_role', { role: 'leader' })) === 1 &&
      s.samples.get('distdb_raft_apply_lag_entries') === 0 &&
      // The new leader's no-op entry is applied: nothing but our writes follows.
      (s.samples.get('distdb_raft_applied_index') ?? 0) >= 1,
  );
  const recentBefore = node.metrics.recent();

  const conn = await RawConnection.open(node.port);
  let sent = 0;
  const run = async (...args: string[]): Promise<string> => {
    const bytes = encodeCommand(args);
    sent += bytes.length;
    conn.write(bytes);
    const [reply] = await conn.read(1);
    return text(reply);
  };
  for (let i = 1; i <= 5; i++) assert.equal(await run('SET', `k${i}`, `value ${i}`), 'OK');
  assert.equal(await run('GET', 'k1'), 'value 1');
  assert.equal(await run('GET', 'k2'), 'value 2');
  assert.equal(await run('GET', 'absent'), '(nil)');
  assert.match(await run('GET'), /^\(error\) ERR wrong number of arguments/);
  assert.match(await run('FROBNICATE', 'x'), /^\(error\) ERR unknown command/);
  assert.equal(await run('DEL', 'k5'), '1');
  // An inline command counts like any other.
  sent += 'PING\r\n'.length;
  conn.write('PING\r\n');
  assert.equal(text((await conn.read(1))[0]), 'PONG');
  const received = conn.received.length;
  // A write through the HTTP key/value API counts as the SET it runs.
  const put = await fetch(`http://127.0.0.1:${node.httpPort}/v1/kv/from-http`, {
    method: 'PUT',
    body: 'v',
  });
  assert.equal(put.status, 204);

  // Snapshots (one every 4 entries) finish in the background: wait for the first.
  const after = await scrapeUntil(
    (x) => (x.samples.get('distdb_raft_snapshots_taken_total') ?? 0) >= 1,
  );
  const delta = (name: string, labels: Record<string, string> = {}): number =>
    value(after, name, labels) - value(before, name, labels);

  const ran: Record<string, number> = { set: 6, get: 4, del: 1, ping: 1, unknown: 1 };
  for (const command of ['set', 'get', 'del', 'ping', 'unknown', 'mget', 'info']) {
    const n = ran[command] ?? 0;
    assert.equal(delta('distdb_commands_total', { command }), n, `commands_total ${command}`);
    const h = 'distdb_command_duration_seconds';
    assert.equal(delta(`${h}_count`, { command }), n, `${h}_count ${command}`);
    assert.equal(delta(`${h}_bucket`, { command, le: '+Inf' }), n);
    // Buckets are cumulative and end at the count.
    let last = 0;
    for (const le of ['0.0001', '0.001', '0.01', '0.1', '1', '10', '+Inf']) {
      const b = value(after, `${h}_bucket`, { command, le });
      assert.ok(b >= last, `${command} bucket le=${le} below the one before`);
      last = b;
    }
    assert.equal(last, value(after, `${h}_count`, { command }));
    if (n > 0) assert.ok(delta(`${h}_sum`, { command }) > 0);
  }
  assert.equal(delta('distdb_command_errors_total', { kind: 'ERR' }), 2);
  for (const kind of ['TRYAGAIN', 'CLUSTERDOWN', 'OTHER']) {
    assert.equal(delta('distdb_command_errors_total', { kind }), 0, kind);
  }

  assert.equal(value(after, 'distdb_connected_clients'), 1);
  assert.equal(delta('distdb_connections_received_total'), 1);
  assert.equal(delta('distdb_connections_rejected_total'), 0);
  assert.equal(delta('distdb_net_input_bytes_total'), sent);
  assert.equal(delta('distdb_net_output_bytes_total'), received);

  // Raft: seven writes (six SETs, one DEL), each one proposal, one entry.
  assert.equal(delta('distdb_raft_proposals_total'), 7);
  assert.equal(delta('distdb_raft_commit_index'), 7);
  assert.equal(delta('distdb_raft_applied_index'), 7);
  assert.equal(value(after, 'distdb_raft_apply_lag_entries'), 0);
  assert.equal(value(after, 'distdb_raft_role', { role: 'leader' }), 1);
  assert.equal(value(after, 'distdb_raft_role', { role: 'follower' }), 0);
  assert.ok(value(after, 'distdb_raft_term') >= 1);
  assert.equal(value(after, 'distdb_raft_leader_changes_total'), 1);
  assert.equal(value(after, 'distdb_raft_members', { kind: 'voter' }), 1);
  assert.equal(delta('distdb_storage_batch_size_sum', { op: 'append' }), 7);
  assert.equal(delta('distdb_storage_batch_size_sum', { op: 'apply' }), 7);
  assert.ok(delta('distdb_storage_request_duration_seconds_count', { op: 'append' }) >= 1);
  const snapshots = value(after, 'distdb_raft_snapshots_taken_total');
  assert.ok(snapshots >= 1, 'a snapshot every 4 entries');
  assert.equal(
    value(after, 'distdb_storage_request_duration_seconds_count', { op: 'snapshot' }),
    snapshots,
  );

  // The engine: five keys left, commits made durable.
  assert.equal(value(after, 'distdb_storage_keys'), 5);
  assert.ok(value(after, 'distdb_storage_disk_bytes') > 0);
  assert.ok(delta('distdb_storage_commits_total') >= 1);
  assert.ok(delta('distdb_storage_committed_writes_total') >= 7);
  assert.ok(delta('distdb_storage_wal_writes_total') >= 1, 'the Raft log was written');
  assert.ok(delta('distdb_storage_wal_written_bytes_total') > 0);
  assert.equal(value(after, 'distdb_storage_connected'), 1);

  // Process metrics live in the node's registry too.
  assert.equal(after.types.get('process_cpu_user_seconds_total'), 'counter');
  assert.equal(after.types.get('nodejs_eventloop_lag_seconds'), 'gauge');

  const recent = node.metrics.recent();
  assert.equal(recent.commandsTotal - recentBefore.commandsTotal, 13);
  assert.ok(recent.p50Ms <= recent.p99Ms && recent.p99Ms <= recent.p999Ms);
  conn.close();
});

test("the registry is the node's own: a second node in this process starts its metrics at zero", async () => {
  const s = await scrape();
  const other = tempDir('distdb-metrics-2-');
  const socket = join(other.path, 'storage.sock');
  const engine = startDistdb([
    'storage',
    '--data-dir',
    join(other.path, 'data'),
    '--socket',
    socket,
  ]);
  try {
    await engine.waitFor(/distdb storage ready/);
    const second = await startCoordinator({ port: 0, socket, logger: pino({ level: 'silent' }) });
    try {
      const t = parsePrometheusText(await second.metrics.registry.metrics());
      assert.equal(t.samples.get(seriesKey('distdb_commands_total', { command: 'set' })), 0);
      // A standalone coordinator has no Raft group: no Raft series.
      assert.equal(t.samples.get('distdb_raft_term'), undefined);
      assert.ok((s.samples.get(seriesKey('distdb_commands_total', { command: 'set' })) ?? 0) >= 5);
    } finally {
      await second.close();
    }
  } finally {
    await engine.stop();
    other.remove();
  }
});
