// The read-modify-write string commands (INCR and its kind, APPEND, GETDEL,
// GETSET, SETNX, INCRBYFLOAT) and STRLEN on a real 3-node cluster, through
// followers and the leader. Their effect is decided where each node applies
// the command (INCRBYFLOAT's by compare-and-set), so increments sent
// concurrently from every node add up exactly and each sum is answered to one
// client only.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplyError, type Client } from '../../src/index.js';
import { TestCluster } from './cluster-support.js';

/** A small value limit, so APPEND reaches it. */
const MAX_VALUE = 100;

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start(3, ['--max-value-size', String(MAX_VALUE)]);
});

after(async () => {
  await cluster?.stop();
});

const NOT_AN_INTEGER = /^ERR value is not an integer or out of range$/;

test('each command answers as Redis does, through a follower and through the leader', async () => {
  const leader = cluster.node(await cluster.waitForLeader());
  const follower = cluster.nodes.find((n) => n.id !== leader.id)!;
  for (const node of [follower, leader]) {
    const c = await cluster.client(node);
    const k = (name: string): string => `${node.id}:${name}`;
    assert.equal(await c.command('INCR', k('n')), 1, 'an absent key counts as 0');
    assert.equal(await c.command('INCRBY', k('n'), '41'), 42);
    assert.equal(await c.command('DECR', k('n')), 41);
    assert.equal(await c.command('DECRBY', k('n'), '-9'), 50);
    assert.equal(String(await c.get(k('n'))), '50', 'stored in base 10');

    await c.set(k('max'), '9223372036854775806');
    assert.equal(await c.command('INCR', k('max')), 9223372036854775807n);
    await assert.rejects(c.command('INCR', k('max')), {
      message: 'ERR increment or decrement would overflow',
    });
    assert.equal(String(await c.get(k('max'))), '9223372036854775807', 'nothing changed');
    await assert.rejects(c.command('DECRBY', k('n'), '-9223372036854775808'), {
      message: 'ERR decrement would overflow',
    });
    await assert.rejects(c.command('INCRBY', k('n'), '1.5'), { message: NOT_AN_INTEGER });

    await c.set(k('s'), 'abc');
    await assert.rejects(c.command('INCR', k('s')), { message: NOT_AN_INTEGER });
    assert.equal(await c.command('APPEND', k('s'), 'def'), 6);
    assert.equal(await c.command('STRLEN', k('s')), 6);
    assert.equal(await c.command('STRLEN', k('none')), 0);
    assert.equal(String(await c.command('GETSET', k('s'), 'new')), 'abcdef');
    assert.equal(await c.command('GETSET', k('fresh'), 'v'), null);
    assert.equal(await c.command('SETNX', k('s'), 'x'), 0);
    assert.equal(String(await c.get(k('s'))), 'new');
    assert.equal(await c.command('SETNX', k('t'), 'x'), 1);
    assert.equal(String(await c.command('GETDEL', k('t'))), 'x');
    assert.equal(await c.command('GETDEL', k('t')), null);
    assert.equal(await c.exists(k('t')), 0);

    // APPEND up to the value limit, and a refusal past it that changes nothing.
    await c.set(k('a'), 'x'.repeat(MAX_VALUE - 10));
    await assert.rejects(c.command('APPEND', k('a'), 'y'.repeat(11)), (err: ReplyError) => {
      assert.match(err.message, /^ERR APPEND would make the value longer than the 100-byte limit/);
      assert.match(err.message, /--max-value-size/);
      return true;
    });
    assert.equal(await c.command('STRLEN', k('a')), MAX_VALUE - 10);
    assert.equal(await c.command('APPEND', k('a'), 'y'.repeat(10)), MAX_VALUE);

    assert.equal(String(await c.command('INCRBYFLOAT', k('f'), '10.50')), '10.5');
    assert.equal(String(await c.command('INCRBYFLOAT', k('f'), '0.1')), '10.6');
    await assert.rejects(c.command('INCRBYFLOAT', k('f'), 'x'), {
      message: 'ERR value is not a valid float',
    });
    await assert.rejects(c.command('INCRBYFLOAT', k('f'), '-inf'), {
      message: 'ERR increment would produce NaN or Infinity',
    });
    // 1e300 is written out in 301 digits, past this cluster's value limit: nothing changes.
    await assert.rejects(
      c.command('INCRBYFLOAT', k('f'), '1e300'),
      /larger than the 100-byte limit/,
    );
    assert.equal(String(await c.get(k('f'))), '10.6');
  }
  // Every node reads what was written through the others (linearizable reads).
  for (const node of cluster.nodes) {
    const c = await cluster.client(node);
    for (const from of [follower, leader]) {
      assert.equal(String(await c.get(`${from.id}:n`)), '50', `${from.id}:n on ${node.id}`);
      assert.equal(await c.command('STRLEN', `${from.id}:a`), MAX_VALUE);
      assert.equal(String(await c.get(`${from.id}:f`)), '10.6');
    }
  }
});

/**
 * INCR until it answers a sum; a refusal that says the write was not
 * applied is retried, as its sentence says. Any other failure leaves the
 * increment unknown (it may or may not be counted): returned as null, not
 * retried, since a retry could count it twice.
 */
async function incrOnce(c: Client, key: string): Promise<bigint | null> {
  const sum = await answerOnce(c, 'INCR', key);
  return sum === null ? null : BigInt(sum);
}

/** `command` until it answers (as text), as incrOnce does; null: its outcome is unknown. */
async function answerOnce(c: Client, ...command: string[]): Promise<string | null> {
  for (;;) {
    try {
      return String(await c.command(...command));
    } catch (err) {
      if (err instanceof ReplyError && /the write was not applied; retry it/.test(err.message)) {
        await sleep(50);
        continue;
      }
      return null;
    }
  }
}

test('N clients × M increments from every node add up to N×M, each sum answered once', async () => {
  const N = 6;
  const M = 40;
  await cluster.waitForLeader();
  const clients = await Promise.all(
    Array.from({ length: N }, (_, i) => cluster.client(cluster.nodes[i % cluster.nodes.length]!)),
  );
  const answers: bigint[] = [];
  let unknown = 0;
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < M; i++) {
        const sum = await incrOnce(c, 'counter');
        if (sum === null) unknown++;
        else answers.push(sum);
      }
    }),
  );
  const finals = await Promise.all(
    cluster.nodes.map(async (n) => BigInt(String(await (await cluster.client(n)).get('counter')))),
  );
  assert.ok(
    finals.every((v) => v === finals[0]),
    `the nodes read different counters: ${finals.join(', ')}`,
  );
  const total = finals[0]!;
  // With no increment left unknown (the usual case) this is exactly N×M and the answers are 1..N×M.
  assert.equal(answers.length, N * M - unknown);
  assert.ok(
    total >= BigInt(answers.length) && total <= BigInt(N * M),
    `counter ${total} after ${answers.length} answered and ${unknown} unknown increments`,
  );
  if (unknown === 0) assert.equal(total, BigInt(N * M));
  const distinct = new Set(answers);
  assert.equal(distinct.size, answers.length, 'two clients were answered the same sum');
  for (const a of answers) assert.ok(a >= 1n && a <= total, `answer ${a} outside 1..${total}`);
});

test('INCRBYFLOAT from N clients on every node: M halves each add up exactly, each sum answered once', async () => {
  const N = 6;
  const M = 25;
  await cluster.waitForLeader();
  const clients = await Promise.all(
    Array.from({ length: N }, (_, i) => cluster.client(cluster.nodes[i % cluster.nodes.length]!)),
  );
  // Sums of halves are exact in binary, so the total tells whether an increment was lost.
  const answers: string[] = [];
  let unknown = 0;
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < M; i++) {
        const sum = await answerOnce(c, 'INCRBYFLOAT', 'halves', '0.5');
        if (sum === null) unknown++;
        else answers.push(sum);
      }
    }),
  );
  const finals = await Promise.all(
    cluster.nodes.map(async (n) => Number(String(await (await cluster.client(n)).get('halves')))),
  );
  assert.ok(
    finals.every((v) => v === finals[0]),
    `the nodes read different values: ${finals.join(', ')}`,
  );
  const total = finals[0]!;
  assert.equal(answers.length, N * M - unknown);
  assert.ok(
    total >= answers.length / 2 && total <= (N * M) / 2,
    `value ${total} after ${answers.length} answered and ${unknown} unknown increments`,
  );
  if (unknown === 0) assert.equal(total, (N * M) / 2);
  assert.equal(new Set(answers).size, answers.length, 'two clients were answered the same sum');
  for (const a of answers)
    assert.match(a, /^[0-9]+(\.5)?$/, 'a sum of halves, written as Redis does');
});
