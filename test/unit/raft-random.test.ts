// Randomized runs of a small cluster through loss, duplication, reordering,
// crashes, compaction, transfers and membership changes, checking safety
// after every step. The full simulator (src/sim) goes much further; this
// keeps the core's own test suite honest without it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, seededRandom } from '../helpers/raft-cluster.js';
import type { Message } from '../../src/raft/types.js';

function isPrefix(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function run(seed: number, size: number, steps: number): { commits: number; reads: number } {
  const rand = seededRandom(seed);
  const ids = ['a', 'b', 'c', 'd', 'e'].slice(0, size);
  const checkQuorum = rand() < 0.7;
  const lease = checkQuorum && rand() < 0.5;
  const c = new Cluster(ids, {
    random: seededRandom(seed * 7 + 1),
    preVote: rand() < 0.7,
    checkQuorum,
    maxSizePerMsg: 64,
    maxInflightMsgs: 3,
    maxInflightBytes: 256,
    snapshotChunkSize: 16,
    readOnlyOption: lease ? 'lease' : 'safe',
  });
  // ReadIndex safety: a read must see every write committed anywhere before it was asked.
  const readFloor = new Map<string, number>();
  let reads = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const leaderOfTerm = new Map<number, string>();
  let counter = 0;
  const pool: Message[] = [];
  for (let step = 0; step < steps; step++) {
    c.flush();
    pool.push(...c.inbox);
    c.inbox = [];
    const r = rand();
    if (r < 0.55 && pool.length > 0) {
      const i = Math.floor(rand() * pool.length);
      const m = pool[i] as Message;
      if (rand() < 0.9) pool.splice(i, 1); // else it is delivered again later
      if (rand() > 0.1) c.deliver(m);
    } else if (r < 0.8) {
      c.tick(pick(ids));
    } else if (r < 0.9) {
      for (const l of c.leaders()) c.propose(l, `v${counter++}`);
    } else if (r < 0.91) {
      c.peer(pick(ids)).restart();
    } else if (r < 0.93) {
      const p = c.peer(pick(ids));
      if (p.appliedIndex > 0) p.compact();
    } else if (r < 0.94) {
      for (const l of c.leaders()) c.node(l).transferLeader(pick(ids));
    } else if (r < 0.95) {
      const ctx = `r${step}`;
      readFloor.set(ctx, Math.max(...[...c.peers.values()].map((p) => p.node.status().commit)));
      c.node(pick(ids)).readIndex(new TextEncoder().encode(ctx));
    } else if (r < 0.955) {
      const type = pick(['add-learner', 'add-voter', 'remove'] as const);
      for (const l of c.leaders()) {
        try {
          c.node(l).proposeConfChange({ type, node: pick(ids), context: new Uint8Array() });
        } catch {
          // Invalid for the current membership: refused with an Error, nothing changed.
        }
      }
    }
    const states = [...c.peers.values()];
    for (const p of states) {
      for (const rs of p.readStates.splice(0)) {
        const floor = readFloor.get(new TextDecoder().decode(rs.context)) ?? 0;
        // Lease reads trust bounded clock drift, which these runs do not have.
        if (!lease) assert.ok(rs.index >= floor, `seed ${seed}: stale read ${rs.index} < ${floor}`);
        reads++;
      }
    }
    for (const p of states) {
      const st = p.node.status();
      if (st.role === 'leader') {
        const prev = leaderOfTerm.get(st.term);
        assert.ok(prev === undefined || prev === p.id, `two leaders in term ${st.term}`);
        leaderOfTerm.set(st.term, p.id);
      }
    }
    for (const p of states) {
      for (const q of states)
        assert.ok(isPrefix(p.state, q.state), `seed ${seed}: divergent state`);
    }
  }
  return { commits: Math.max(...[...c.peers.values()].map((p) => p.state.length)), reads };
}

describe('raft under random faults', () => {
  it('stays safe and makes progress (3 and 5 nodes)', () => {
    let commits = 0;
    for (let seed = 1; seed <= 40; seed++)
      commits += run(seed, seed % 2 === 0 ? 3 : 5, 3000).commits;
    assert.ok(commits > 100, `too little progress: ${commits}`);
  });
});
