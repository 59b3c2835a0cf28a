// The storage engine dies (kill -9) under a running coordinator: commands get
// TRYAGAIN promptly (never hang), and once the engine is back the coordinator
// reconnects by itself and serves the data that was acknowledged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startNode, text, type TestNode } from './coordinator-support.js';

let node: TestNode;

before(async () => {
  node = await startNode();
});

after(async () => {
  await node?.stop();
});

test('storage engine killed: TRYAGAIN meanwhile, served again after it restarts', async () => {
  const c = await RawConnection.open(node.port);
  try {
    assert.equal(text(await c.command('SET', 'survivor', 'still here')), 'OK');
    node.storage.kill('SIGKILL');
    await node.storage.exited;

    // Every command gets an answer; once the loss is noticed it is TRYAGAIN.
    let reply = '';
    for (let i = 0; i < 100; i++) {
      reply = text(await c.command('GET', 'survivor'));
      if (reply.startsWith('(error) TRYAGAIN')) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(reply, '(error) TRYAGAIN storage engine unavailable; retry shortly');
    assert.equal(
      text(await c.command('SET', 'during', 'outage')),
      '(error) TRYAGAIN storage engine unavailable; retry shortly',
    );
    assert.equal(text(await c.command('PING')), 'PONG', 'commands without storage still work');

    await node.restartStorage();
    for (let i = 0; i < 200; i++) {
      reply = text(await c.command('GET', 'survivor'));
      if (reply === 'still here') break;
      await new Promise((res) => setTimeout(res, 25));
    }
    assert.equal(reply, 'still here');
    assert.equal(text(await c.command('SET', 'after', 'restart')), 'OK');
    assert.equal(text(await c.command('GET', 'after')), 'restart');
    assert.equal(node.coordinator.child.exitCode, null, 'the coordinator never exited');
  } finally {
    c.close();
  }
});
