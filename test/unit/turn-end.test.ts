import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { atTurnEnd } from '../../src/coordinator/turn-end.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('atTurnEnd', () => {
  it('runs the tasks of a turn once, in order, after the turn', async () => {
    const ran: string[] = [];
    atTurnEnd(() => ran.push('a'));
    atTurnEnd(() => ran.push('b'));
    ran.push('sync');
    await nextTurn();
    assert.deepEqual(ran, ['sync', 'a', 'b']);
  });

  it('a task queued by a running task waits for the next turn', async () => {
    const ran: string[] = [];
    atTurnEnd(() => {
      ran.push('first');
      atTurnEnd(() => ran.push('queued by first'));
    });
    atTurnEnd(() => ran.push('second'));
    await nextTurn();
    assert.deepEqual(ran, ['first', 'second']);
    await nextTurn();
    assert.deepEqual(ran, ['first', 'second', 'queued by first']);
  });

  it('a task that throws does not keep the others from running, and still fails loudly', () => {
    // In a process of its own: the test runner takes over uncaught errors.
    const module = new URL('../../src/coordinator/turn-end.js', import.meta.url).href;
    const script = `import { atTurnEnd } from ${JSON.stringify(module)};
      atTurnEnd(() => { throw new Error('boom'); });
      atTurnEnd(() => console.log('after'));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r.stdout.trim(), 'after');
    assert.match(r.stderr, /Error: boom/);
    assert.notEqual(r.status, 0);
  });
});
