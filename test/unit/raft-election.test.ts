import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster } from '../helpers/raft-cluster.js';

describe('raft election', () => {
  it('elects a leader that replicates and commits on every node', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.elect('a');
    assert.deepEqual(c.leaders(), ['a']);
    const st = c.node('a').status();
    assert.equal(st.term, 1);
    assert.ok(c.propose('a', 'x').ok);
    c.stabilize();
    for (const id of ['a', 'b', 'c']) {
      assert.deepEqual(c.peer(id).state, ['x'], id);
      assert.equal(c.node(id).status().commit, 2, id);
      assert.equal(c.node(id).status().leader, 'a', id);
    }
  });
});
