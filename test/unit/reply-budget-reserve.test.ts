// What a command holds of its connection's output budget while it is in
// flight (reply-budget.ts): BACKUP's subcommands, and the writes that answer with a value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMAND_TABLE } from '../../src/coordinator/command-table.js';
import { backupChunkBytes } from '../../src/coordinator/commands/backup-commands.js';
import { DEFAULT_LIMITS, oneValueReplyBytes } from '../../src/coordinator/limits.js';
import { replyReserve } from '../../src/coordinator/reply-budget.js';
import { bulkReplyBytes } from '../../src/resp/reply-encoder.js';

const words = (...w: string[]): Buffer[] => w.map((s) => Buffer.from(s));

test('BACKUP CHUNK holds its chunk; BEGIN and END, whose replies are a few words, hold nothing', () => {
  const spec = COMMAND_TABLE.get('backup')!;
  for (const maxOutputBuffer of [DEFAULT_LIMITS.maxOutputBuffer, 4096]) {
    const limits = { ...DEFAULT_LIMITS, maxOutputBuffer };
    const chunk = bulkReplyBytes(backupChunkBytes(limits));
    assert.equal(replyReserve(spec, true, words('BACKUP', 'CHUNK', 'id'), limits), chunk);
    assert.equal(replyReserve(spec, true, words('backup', 'chunk', 'id'), limits), chunk);
    assert.equal(replyReserve(spec, true, words('BACKUP', 'BEGIN'), limits), 0);
    assert.equal(replyReserve(spec, true, words('BACKUP', 'END', 'id'), limits), 0);
  }
});

test('a write holds one value when it answers with the value it replaced: SET … GET, GETSET, GETDEL', () => {
  const one = oneValueReplyBytes(DEFAULT_LIMITS.maxValueSize);
  const reserve = (...w: string[]): number =>
    replyReserve(COMMAND_TABLE.get(w[0]!.toLowerCase())!, false, words(...w), DEFAULT_LIMITS);
  assert.equal(reserve('SET', 'k', 'v', 'GET'), one);
  assert.equal(reserve('GETSET', 'k', 'v'), one);
  assert.equal(reserve('GETDEL', 'k'), one);
  for (const w of [
    ['SET', 'k', 'v'],
    ['SETNX', 'k', 'v'],
    ['APPEND', 'k', 'v'],
    ['INCR', 'k'],
    ['DEL', 'k'],
  ]) {
    assert.equal(reserve(...w), 0, w.join(' '));
  }
});
