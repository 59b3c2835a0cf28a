// The shell on a terminal: prompt, tab completion, persistent history (without
// AUTH lines), Ctrl-D.
// A real pseudo-terminal comes from util-linux `script`; each keystroke is
// sent only after the screen shows the previous one took effect.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DISTDB_MAIN } from '../helpers/processes.js';
import { nodeForFile } from './node-helpers.js';

const hasScript = spawnSync('script', ['--version']).status === 0;

const shared = nodeForFile();

interface Terminal {
  /** Types `keys`, then waits until the screen output after the previous match matches `re`. */
  send(keys: string, re: RegExp): Promise<void>;
  exited: Promise<number | null>;
  screen(): string;
}

function terminal(args: string[]): Terminal {
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const cmd = [process.execPath, DISTDB_MAIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let mark = 0;
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((ok, fail) => {
      const check = (): void => {
        const m = re.exec(out.slice(mark));
        if (m) {
          waiters.delete(check);
          clearTimeout(timer);
          mark += m.index + m[0].length; // the next wait looks only past this match
          ok();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        child.kill('SIGKILL');
        fail(new Error(`screen never showed ${re}; it shows:\n${JSON.stringify(out.slice(mark))}`));
      }, 15_000);
      waiters.add(check);
      check();
    });
  return {
    async send(keys, re) {
      if (keys !== '') child.stdin.write(keys);
      await waitFor(re);
    },
    exited,
    screen: () => out,
  };
}

test(
  'prompt, tab completion, history kept across sessions, Ctrl-D',
  { skip: !hasScript },
  async () => {
    const history = join(shared.dir, 'history');
    const args = ['client', '--port', String(shared.port), '--history-file', history];
    const prompt = new RegExp(`127\\.0\\.0\\.1:${shared.port}> `);

    const first = terminal(args);
    await first.send('', /Type help for commands/);
    await first.send('', prompt);
    await first.send('PUT tty "hello there"\r', /OK[\s\S]*> /);
    await first.send('GE', /GE/);
    await first.send('\t', /T/); // completed: readline draws only the missing letter
    await first.send(' tty\r', /hello there[\s\S]*> /);
    // A line carrying a password is run but never kept in the history file.
    await first.send('AUTH hunter2\r', /ERR AUTH <password> called without[\s\S]*> /);
    await first.send('\x04', /$/); // Ctrl-D
    assert.equal(await first.exited, 0);
    assert.deepEqual(readFileSync(history, 'utf8').split('\n').filter(Boolean), [
      'PUT tty "hello there"',
      'GET tty',
    ]);

    const second = terminal(args);
    await second.send('', prompt);
    await second.send('\x1b[A', /GET tty/); // up arrow recalls the last session's line
    await second.send('\r', /hello there[\s\S]*> /);
    await second.send('\x04', /$/);
    assert.equal(await second.exited, 0);
  },
);
