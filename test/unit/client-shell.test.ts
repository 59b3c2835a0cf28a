import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeCommand, helpText } from '../../src/client/help.js';
import { parseShellLine } from '../../src/client/shell.js';

const words = (line: string): string[] => {
  const p = parseShellLine(line);
  assert.equal(p.kind, 'command');
  return p.kind === 'command' ? p.args.map((b) => b.toString('utf8')) : [];
};

test('a line splits into arguments with redis-cli quoting', () => {
  assert.deepEqual(words('PUT a b'), ['PUT', 'a', 'b']);
  assert.deepEqual(words('  SET greeting "hello world"  '), ['SET', 'greeting', 'hello world']);
  assert.deepEqual(words(`SET k 'it\\'s'`), ['SET', 'k', "it's"]);
  assert.deepEqual(words('SET k "line\\nbreak"'), ['SET', 'k', 'line\nbreak']);
  assert.deepEqual(words('SET k ""'), ['SET', 'k', '']);
});

test('\\xHH escapes make binary arguments', () => {
  const p = parseShellLine('SET k "\\x00\\xff"');
  assert.equal(p.kind, 'command');
  if (p.kind === 'command') assert.deepEqual(p.args[2], Buffer.from([0x00, 0xff]));
});

test('unbalanced quotes are reported, not sent', () => {
  const p = parseShellLine('SET k "oops');
  assert.equal(p.kind, 'invalid');
  if (p.kind === 'invalid') assert.match(p.message, /unbalanced quotes/);
});

test('shell commands are recognised in any case', () => {
  assert.deepEqual(parseShellLine(''), { kind: 'empty' });
  assert.deepEqual(parseShellLine('   '), { kind: 'empty' });
  assert.deepEqual(parseShellLine('QUIT'), { kind: 'quit' });
  assert.deepEqual(parseShellLine('exit'), { kind: 'quit' });
  assert.deepEqual(parseShellLine('clear'), { kind: 'clear' });
  assert.deepEqual(parseShellLine('help'), { kind: 'help', topic: undefined });
  assert.deepEqual(parseShellLine('Help set'), { kind: 'help', topic: 'set' });
});

test('help lists every command with a description, and explains one', () => {
  const all = helpText() ?? '';
  for (const name of ['GET', 'SET', 'PUT', 'DEL', 'SCAN', 'help', 'quit']) {
    assert.match(all, new RegExp(`^  ${name} +\\S`, 'm'));
  }
  assert.match(helpText('set') ?? '', /^SET key value \[NX \| XX\] \[GET\]\n {2}Sets key/);
  assert.equal(helpText('nosuchcommand'), null);
});

test('tab completes command names in the case typed', () => {
  assert.deepEqual(completeCommand('MG'), [['MGET'], 'MG']);
  assert.deepEqual(completeCommand('mg'), [['mget'], 'mg']);
  assert.deepEqual(completeCommand('GE')[0].sort(), ['GET', 'GETDEL', 'GETRANGE', 'GETSET']);
  assert.deepEqual(completeCommand('DE')[0].sort(), ['DECR', 'DECRBY', 'DEL', 'DELETE']);
  assert.deepEqual(completeCommand('GET ke'), [[], 'GET ke']);
  assert.ok(completeCommand('')[0].length > 10);
});
