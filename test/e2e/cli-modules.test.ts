// A distdb process loads the code of the subcommand it runs, not of all of
// them: a storage engine's start loads no coordinator, Raft, peer, metrics,
// client or TLS code, and `--help` (of distdb and of each subcommand) loads
// none of the code that runs a subcommand, yet lists every flag. The modules
// come from test/helpers/module-trace.ts, in the real process.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DISTDB_MAIN, startDistdb, tempDir } from '../helpers/processes.js';

const TRACE = resolve(fileURLToPath(import.meta.url), '../../helpers/module-trace.js');
/** dist/, where the compiled src/ lives. */
const DIST = resolve(DISTDB_MAIN, '../../..');

/** What other subcommands run: the coordinator with Raft, peers and metrics; the client; TLS. */
const OTHERS = [
  'src/coordinator/coordinator.js',
  'src/raft/raft.js',
  'src/peer/transport.js',
  'prom-client',
  'src/client/client.js',
  'src/tls/client-tls.js',
  'src/tls/peer-tls.js',
];
/** What runs the storage engine, and logs. */
const ENGINE = ['src/storage/server.js', 'lmdb', 'pino'];

/** `file:///.../dist/src/x.js` → `src/x.js`; a package's module → the package's name. */
function shortName(url: string): string {
  if (!url.startsWith('file:')) return url;
  const path = fileURLToPath(url);
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return pkg ? (pkg[1] as string) : relative(DIST, path);
}

/** The modules `distdb <args>` loads until it prints `ready` (then it is stopped) or exits. */
async function modulesLoaded(
  args: string[],
  ready?: RegExp,
): Promise<{ modules: Set<string>; output: string }> {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'modules');
    writeFileSync(file, '');
    const p = startDistdb(args, {
      cwd: dir.path,
      env: { NODE_OPTIONS: `--import ${pathToFileURL(TRACE).href}`, MODULE_TRACE_FILE: file },
    });
    if (ready) {
      await p.waitFor(ready);
      await p.stop();
    } else {
      assert.equal(await p.exited, 0, p.output());
    }
    const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    return { modules: new Set(urls.map(shortName)), output: p.output() };
  } finally {
    dir.remove();
  }
}

function assertNone(modules: Set<string>, names: string[], what: string): void {
  const loaded = names.filter((n) => modules.has(n));
  assert.deepEqual(loaded, [], `${what} loaded ${loaded.join(', ')}`);
}

test('a storage engine loads its own code only, up to its ready line', async () => {
  const { modules } = await modulesLoaded(
    ['storage', '--data-dir', 'data'],
    /distdb storage ready/,
  );
  // The trace sees what a start loads...
  for (const name of ENGINE) assert.ok(modules.has(name), `${name} not seen`);
  // ...and the other subcommands' code is not among it.
  assertNone(modules, OTHERS, 'distdb storage');
});

/** Each subcommand's help and a few of its flags, one of each group it takes. */
const HELP: Array<[string[], string[]]> = [
  [
    [],
    [
      'start',
      'node',
      'storage',
      'coordinator',
      'client',
      'cluster',
      'hash-password',
      'backup',
      'restore',
    ],
  ],
  [['start'], ['--nodes', '--requirepass', '--tls-cert-dir']],
  [
    ['node'],
    [
      '--max-key-size',
      '--tls-ca',
      '--protected-mode',
      '--log-format',
      '--peers',
      '--snapshot-every',
    ],
  ],
  [['storage'], ['--data-dir', '--max-frame-size', '--log-level']],
  [['coordinator'], ['--port', '--max-pipeline', '--users-file', '--tls-client-auth', '--id']],
  [['client'], ['--host', '--password', '--tls-servername', '--raw']],
  [
    ['cluster', 'add'],
    ['--port', '--user', '--tls'],
  ],
  [['hash-password'], ['--key-prefix']],
  [['backup'], ['--host', '--tls-ca']],
  [['restore'], ['--data-dir', '--peers']],
];

test('--help of distdb and of each subcommand loads none of the code that runs one, and lists its flags', async () => {
  for (const [words, shown] of HELP) {
    const { modules, output } = await modulesLoaded([...words, '--help']);
    const what = `distdb ${[...words, '--help'].join(' ')}`;
    assertNone(modules, [...OTHERS, ...ENGINE], what);
    for (const s of shown) assert.match(output, new RegExp(`\\s${s}\\b`), `${what} lacks ${s}`);
  }
});
