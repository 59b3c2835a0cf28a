// /health when a node cannot serve: one node of a three-node cluster started
// alone never sees a leader, so it answers 503 with the reason, and /status
// shows the two absent members as not answering.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { freePort, tempDir, type Proc } from '../helpers/processes.js';
import { httpPortOf } from './http-support.js';
import { startNode } from './node-helpers.js';

let dir: ReturnType<typeof tempDir>;
let node: Proc;
let base = '';

before(async () => {
  dir = tempDir();
  const [port, peer, absent2, absent3] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const peers = `n1=127.0.0.1:${peer},n2=127.0.0.1:${absent2},n3=127.0.0.1:${absent3}`;
  node = await startNode(join(dir.path, 'data'), port!, ['--peers', peers, '--http-port', '0']);
  base = `http://127.0.0.1:${await httpPortOf(node)}`;
});

after(async () => {
  await node?.stop();
  dir?.remove();
});

test('GET /health is 503 with the reason while the node sees no leader', async () => {
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { ok: boolean; leader: unknown; reason: string };
  assert.equal(body.ok, false);
  assert.equal(body.leader, null);
  assert.match(body.reason, /no leader/);
});

test('GET /status shows members that do not answer with an error instead of figures', async () => {
  type Status = { members: Array<{ id: string; figures: unknown; error: string | null }> };
  // The HTTP port opens before the Raft state is loaded; until then there are no members.
  let body: Status;
  for (const until = Date.now() + 10_000; ; await sleep(50)) {
    body = (await (await fetch(`${base}/status`)).json()) as Status;
    if (body.members.length > 0 || Date.now() > until) break;
  }
  const byId = new Map(body.members.map((m) => [m.id, m]));
  assert.ok(byId.get('n1')?.figures, 'this node reports itself');
  for (const id of ['n2', 'n3']) {
    assert.equal(byId.get(id)?.figures, null, id);
    assert.ok(byId.get(id)?.error, id);
  }
});
