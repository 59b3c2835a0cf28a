// Shared by the coordinator end-to-end tests: a real node (storage engine and
// coordinator as separate processes on a temp dir and a free port), and the
// raw TCP connection that speaks RESP byte for byte (src/hostile, shared with
// npm run attack-report).

import { join } from 'node:path';
import { RawConnection, text } from '../../src/hostile/raw-connection.js';
import { freePort, startDistdb, tempDir, type Proc } from '../helpers/processes.js';

export { RawConnection, text };

export interface TestNode {
  port: number;
  dataDir: string;
  socket: string;
  storage: Proc;
  coordinator: Proc;
  /** Starts a new storage engine on the same data dir and socket (after the old one died). */
  restartStorage(): Promise<void>;
  /** Stops the coordinator and starts a new one on the same engine with `coordinatorFlags` (a new port). */
  restartCoordinator(coordinatorFlags: string[]): Promise<void>;
  stop(): Promise<void>;
}

const STORAGE_READY = /distdb storage ready/;
const COORDINATOR_READY = /distdb coordinator ready host=\S+ port=(\d+)/;

/** Starts `distdb <args>` and waits for its ready line; stops it if that never comes. */
async function startReady(args: string[], ready: RegExp): Promise<Proc> {
  const p = startDistdb(args);
  try {
    await p.waitFor(ready);
  } catch (err) {
    await p.stop();
    throw err;
  }
  return p;
}

function startStorage(dataDir: string, socket: string): Promise<Proc> {
  return startReady(['storage', '--data-dir', dataDir, '--socket', socket], STORAGE_READY);
}

function startCoordinator(
  port: number,
  dataDir: string,
  socket: string,
  flags: string[],
): Promise<Proc> {
  return startReady(
    ['coordinator', '--port', String(port), '--data-dir', dataDir, '--socket', socket, ...flags],
    COORDINATOR_READY,
  );
}

/** A node with the given extra coordinator flags (e.g. ['--max-clients', '2']). */
export async function startNode(coordinatorFlags: string[] = []): Promise<TestNode> {
  const dir = tempDir('distdb-coord-');
  const dataDir = join(dir.path, 'data');
  const socket = join(dir.path, 'storage.sock');
  let storage: Proc | null = null;
  let coordinator: Proc | null = null;
  const stop = async (): Promise<void> => {
    await coordinator?.stop();
    await storage?.stop();
    dir.remove();
  };
  try {
    storage = await startStorage(dataDir, socket);
    let port = await freePort();
    coordinator = await startCoordinator(port, dataDir, socket, coordinatorFlags);
    const node: TestNode = {
      port,
      dataDir,
      socket,
      storage,
      coordinator,
      async restartStorage() {
        storage = await startStorage(dataDir, socket);
        node.storage = storage;
      },
      async restartCoordinator(flags) {
        await coordinator?.stop();
        coordinator = null;
        port = await freePort();
        coordinator = await startCoordinator(port, dataDir, socket, flags);
        node.port = port;
        node.coordinator = coordinator;
      },
      stop,
    };
    return node;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Checks the node still serves a client correctly: a fresh write and read on `conn`. */
export async function assertServes(conn: RawConnection, tag: string): Promise<void> {
  const key = `probe:${tag}:${Math.random().toString(36).slice(2)}`;
  const set = text(await conn.command('SET', key, tag));
  const get = text(await conn.command('GET', key));
  if (set !== 'OK' || get !== tag) {
    throw new Error(`node did not serve the probe client (${tag}): SET → ${set}, GET → ${get}`);
  }
}

const SERVING = /distdb (node|coordinator) ready/;

/** Runs `distdb <args>`; resolves with its exit status and output, or 'started' if it served (then stops it). */
export async function outcome(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | string; output: string }> {
  const p = startDistdb(args, { env });
  try {
    const status = await Promise.race([p.exited, p.waitFor(SERVING).then(() => 'started')]);
    return { status, output: p.output() };
  } finally {
    await p.stop();
  }
}
