// The initial voters a node starts with are checked where every start passes
// (startCoordinator), in the words of distdb node's flags.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CoordinatorConfigError,
  DEFAULT_REPLICATION,
  startCoordinator,
  type CoordinatorOptions,
} from '../../src/coordinator/index.js';
import { peersProblem } from '../../src/coordinator/replication/initial-peers.js';
import { tempDir } from '../helpers/processes.js';

const LEFT_OUT =
  '--peers must include this node (--id n9) as n9=host:peerport, the address the others reach it at; ' +
  'it names n1, n2. To add a node to a running cluster, start it with --join <host:peerport of a member> instead';

const two = { n1: '127.0.0.1:7400', n2: '127.0.0.1:7401' };

describe('initial peers', () => {
  it('are fine when they name the node at an address, and when there are none', () => {
    assert.equal(peersProblem({ id: 'n1', peers: two, join: null }), null);
    assert.equal(peersProblem({ id: 'n1', peers: { n1: '[::1]:7400' }, join: null }), null);
    assert.equal(peersProblem({ id: 'n4', peers: null, join: '127.0.0.1:7400' }), null);
    assert.equal(peersProblem({ id: 'n1', peers: null, join: null }), null);
  });

  it('are refused with a sentence when they leave the node out, are empty, come with --join, or hold a bad address', () => {
    assert.equal(peersProblem({ id: 'n9', peers: two, join: null }), LEFT_OUT);
    assert.equal(
      peersProblem({ id: 'n1', peers: {}, join: null }),
      '--peers (NODE_PEERS) is empty',
    );
    assert.equal(
      peersProblem({ id: 'n1', peers: two, join: '127.0.0.1:7400' }),
      'give either --peers (a new cluster) or --join (join an existing one), not both',
    );
    assert.equal(
      peersProblem({ id: 'n1', peers: { ...two, n3: 'nowhere' }, join: null }),
      'bad address "nowhere" for node n3 in --peers: cannot split it into host and port (expected host:port)',
    );
  });

  it('are checked by startCoordinator, the library entry, before it starts anything', async () => {
    const dir = tempDir();
    try {
      const options: CoordinatorOptions = {
        port: 0,
        socket: join(dir.path, 'storage.sock'),
        storageWaitMs: 0,
        cluster: {
          id: 'n9',
          clusterId: 'distdb',
          peerHost: '127.0.0.1',
          peerPort: 0,
          peers: two,
          join: null,
          settings: { ...DEFAULT_REPLICATION },
        },
      };
      // Were the peers not checked, it would start: then stop it and fail.
      const outcome = await startCoordinator(options).then(
        async (handle) => {
          await handle.close();
          return 'started';
        },
        (err: unknown) => err,
      );
      assert.ok(outcome instanceof CoordinatorConfigError, `startCoordinator ${String(outcome)}`);
      assert.equal(outcome.message, LEFT_OUT);
    } finally {
      dir.remove();
    }
  });
});
