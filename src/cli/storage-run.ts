// `distdb storage` run (its flags: storage-command.ts): the storage engine
// process. Prints one ready line on stdout once it serves the socket, and
// one stopped line if a failure of its stores stops it; SIGTERM/SIGINT stop
// it cleanly; SIGHUP is ignored.

import { join, resolve } from 'node:path';
import { DataDirInUseError } from '../storage/data-dir-lock.js';
import { FrameTooSmallError } from '../storage/frame-check.js';
import { DEFAULT_MAX_FRAME_BYTES, MIN_MAX_FRAME_BYTES } from '../storage/protocol.js';
import { StorageServer, StorageSocketError } from '../storage/server.js';
import { ConfigError, parseByteSize, setting } from './config.js';
import { releaseSighup } from './early-sighup.js';
import { logSettings } from './log-options.js';
import { createLogger } from './logger.js';

export async function runStorage(flags: Record<string, string | undefined>): Promise<void> {
  const dataDir = resolve(setting(flags['dataDir'], 'NODE_DATA_DIR') ?? './data');
  const socketPath = resolve(
    setting(flags['socket'], 'STORAGE_SOCKET') ?? join(dataDir, 'storage.sock'),
  );
  const frameText = setting(flags['maxFrameSize'], 'STORAGE_MAX_FRAME_SIZE');
  const maxFrameBytes = frameText
    ? parseByteSize(frameText, '--max-frame-size')
    : DEFAULT_MAX_FRAME_BYTES;
  if (maxFrameBytes < MIN_MAX_FRAME_BYTES || maxFrameBytes > 0xffffffff) {
    throw new ConfigError(
      `--max-frame-size must be between ${MIN_MAX_FRAME_BYTES} bytes and 4gb, got "${frameText}"`,
    );
  }
  const nodeId = setting(flags['id'], 'NODE_ID') ?? 'n1';
  const log = createLogger(logSettings(flags), nodeId).child({ component: 'storage' });
  // No SIGHUP ends a node's process (a supervisor's `kill -HUP` to all of
  // them would otherwise cost a restart of the engine); it has nothing to reload.
  const ignoreHangup = (): void => {
    log.info('SIGHUP ignored: the storage engine has nothing to reload');
  };
  process.on('SIGHUP', ignoreHangup);
  if (releaseSighup() > 0) ignoreHangup();

  let server: StorageServer;
  try {
    server = await StorageServer.start({
      dataDir,
      socketPath,
      maxFrameBytes,
      log,
      // Only a restart replays what is durable: stop, and the node's supervisor
      // starts it again. As kill -9 would: process.exit() once hung for
      // minutes on a full disk (in LMDB's teardown), holding the socket while
      // answering nothing, and a crash loses nothing that was acknowledged.
      onStorageFailed: (what, err) => {
        log.fatal(
          { err: err.message },
          `${what} failed (${err.message}): the storage engine stops, and a restart replays what is durable; if the disk is full, free space under ${dataDir}`,
        );
        // Its supervisor tells the coordinator, which tells clients why.
        process.stdout.write(`distdb storage stopped: ${what} failed (${err.message})\n`);
        process.kill(process.pid, 'SIGKILL');
      },
    });
  } catch (err) {
    if (
      err instanceof StorageSocketError ||
      err instanceof DataDirInUseError ||
      err instanceof FrameTooSmallError
    ) {
      throw new ConfigError(err.message);
    }
    throw err;
  }
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping the storage engine');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: (err as Error).message }, 'storage engine did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  log.info({ socket: socketPath, dataDir }, 'storage engine serving');
  process.stdout.write(`distdb storage ready socket=${socketPath}\n`);
}
