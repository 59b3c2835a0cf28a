// Hostile input on the client port of a real node: each attack must be cut
// off or answered with an error, while a well-behaved client on the same node
// keeps being served correctly during it, and the coordinator's memory stays
// bounded (peak RSS from /proc). The figures for docs/security.md come from
// `npm run attack-report`, not from here: nothing here is timed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode, type TestNode } from './coordinator-support.js';
import {
  ATTACKS,
  idleConnections,
  slowloris,
  type AttackOutcome,
} from '../../src/hostile/attacks.js';
import { Bystander } from '../../src/hostile/bystander.js';
import { memoryOf, resetPeakMemory } from '../../src/hostile/process-memory.js';

const MAX_CLIENTS = 100;
/**
 * What the coordinator may reach (docs/security.md): ~70 MiB at start, plus,
 * for the slow reader, the replies of its reads: before reads were bounded by
 * the bytes of their replies, 1,024 (--max-pipeline) GETs of 100 kB could be
 * in flight, twice (the engine's getMany reply and the RESP encoding),
 * ~205 MB, and it once reached 273 MiB under a load average of 9; now about
 * --max-output-buffer (2 MiB here) of them. Plus garbage the GC has not
 * freed yet. A million tiny arguments took 280 MiB from one connection
 * before they counted.
 */
const PEAK_RSS_BOUND = 320 * 1024 * 1024;

let node: TestNode;
let bystander: Bystander;

before(async () => {
  node = await startNode([
    '--max-clients',
    String(MAX_CLIENTS),
    '--max-output-buffer',
    '2mb', // more than a reply of one 1 MiB value (--max-value-size's default) with its framing
  ]);
  bystander = await Bystander.start(node.port);
});

after(async () => {
  await bystander?.stop().catch(() => undefined);
  await node?.stop();
});

/** What each attack must get. */
const VERDICTS: Record<string, (o: AttackOutcome) => void> = {
  'huge-bulk': (o) => {
    assert.equal(o.reply, '(error) ERR Protocol error: invalid bulk length');
    assert.ok(o.closed);
  },
  'huge-multibulk': (o) => {
    assert.equal(o.reply, '(error) ERR Protocol error: invalid multibulk length');
    assert.ok(o.closed);
  },
  'nested-arrays': (o) => {
    assert.equal(o.reply, "(error) ERR Protocol error: expected '$', got '*'");
    assert.ok(o.closed);
  },
  'many-tiny-args': (o) => {
    // Each argument counts what holding it costs (src/resp/request-parser.ts ARGUMENT_COST_BYTES).
    assert.equal(
      o.reply,
      '(error) ERR Protocol error: request larger than 16777216 bytes (max-request-size)',
    );
    assert.ok(o.closed);
  },
  'endless-line': (o) => {
    assert.equal(o.reply, '(error) ERR Protocol error: too big inline request');
    assert.ok(o.closed);
  },
  garbage: (o) =>
    assert.ok((o.counts?.closedConnections ?? 0) > 0, 'garbage gets connections closed'),
  'pipeline-flood': (o) => {
    assert.equal(o.counts?.replies, 100_000);
    assert.equal(o.counts?.wrongReplies, 0);
  },
  'slow-reader': (o) => assert.ok(o.closed, 'the client that does not read is disconnected'),
  'large-value-pipeline': (o) =>
    assert.ok(o.closed, 'the client that does not read is disconnected'),
};

/** Runs an attack with the bystander served during it; checks the node survived within its memory bound. */
async function underAttack(
  run: (during: () => Promise<void>) => Promise<AttackOutcome>,
): Promise<AttackOutcome> {
  const pid = node.coordinator.pid;
  resetPeakMemory(pid);
  const outcome = await run(() => bystander.served(20));
  await bystander.served(5);
  assert.equal(node.coordinator.child.exitCode, null, 'the coordinator is still running');
  const { peakRssBytes } = memoryOf(pid);
  assert.ok(
    peakRssBytes < PEAK_RSS_BOUND,
    `coordinator peak RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MiB exceeds ${PEAK_RSS_BOUND / 2 ** 20} MiB`,
  );
  return outcome;
}

for (const attack of ATTACKS) {
  test(`${attack.name}: ${attack.description}`, async () => {
    const outcome = await underAttack((during) => attack.run(node.port, during));
    const verdict = VERDICTS[attack.name];
    assert.ok(verdict, `no verdict for ${attack.name}`);
    verdict(outcome);
  });
}

test('idle connections up to and beyond --max-clients: the extra ones are refused', async () => {
  // The bystander holds one slot; 50 more than the rest are opened.
  const outcome = await underAttack((during) =>
    idleConnections(node.port, MAX_CLIENTS + 50, during),
  );
  assert.equal(
    outcome.reply,
    `(error) ERR max number of clients reached (${MAX_CLIENTS}); retry later or raise --max-clients (DISTDB_MAX_CLIENTS)`,
  );
  assert.ok((outcome.counts?.refused ?? 0) >= 50, `refused ${outcome.counts?.refused}`);
});

test('slowloris: connections dripping a command byte by byte hold a slot each, nothing more', async () => {
  const outcome = await underAttack((during) => slowloris(node.port, 50, 20, during));
  // No request timeout (as in Redis): the node keeps them, and keeps serving others.
  assert.equal(outcome.counts?.closedByNode, 0);
});
