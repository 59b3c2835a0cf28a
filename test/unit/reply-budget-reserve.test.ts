// What a command holds of its connection's output budget while it is in
// flight (reply-budget.ts): BACKUP's subcommands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMAND_TABLE } from '../../src/coordinator/command-table.js';
import { backupChunkBytes } from '../../src/coordinator/commands/backup-commands.js';
import { DEFAULT_LIMITS } from '../../src/coordinator/limits.js';
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
