// `distdb restore` run (its flags: restore-command.ts), and the restore of
// `distdb start --restore`: each new node's empty data dir seeded from a
// backup, through a storage engine of its own.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { AddressBook } from '../coordinator/replication/address-book.js';
import {
  encodeSnapshotData,
  encodeStoredSnapshot,
} from '../coordinator/replication/snapshot-format.js';
import { peersProblem } from '../coordinator/replication/initial-peers.js';
import { KEYSPACE_RAFT_GROUP } from '../coordinator/replication/replication-settings.js';
import { connectStorage } from '../storage/client.js';
import { PayloadError } from '../storage/frame-codec.js';
import { StorageServer } from '../storage/server.js';
import { ImageParser } from '../storage/state-image.js';
import { BackupFileError, openBackup, type BackupHeader } from './backup-file.js';
import { parsePeers } from './cluster-options.js';
import { ConfigError, setting } from './config.js';
import type { RestoreFlags } from './restore-command.js';

export async function runRestore(file: string, flags: RestoreFlags): Promise<void> {
  const id = setting(flags.id, 'NODE_ID') ?? 'n1';
  const peersText = setting(flags.peers, 'NODE_PEERS');
  await restoreDataDirs(file, [{ id, dataDir: flags.dataDir as string }], peersText ?? null);
}

/**
 * Seeds each node's empty data dir from `file`, as members of one new
 * cluster (`peersText`: id=host:peerport,...; null: a cluster of one node).
 * Every dir is checked empty and the file verified before anything is written.
 */
export async function restoreDataDirs(
  file: string,
  nodes: ReadonlyArray<{ id: string; dataDir: string }>,
  peersText: string | null,
): Promise<void> {
  const peers = peersText === null ? null : parsePeers(peersText);
  for (const { id } of nodes) {
    const problem = peersProblem({ id, peers, join: null });
    if (problem !== null) throw new ConfigError(problem);
  }
  for (const { dataDir } of nodes) refuseNonEmpty(dataDir);
  const started = Date.now();
  const header = await verify(file);
  const book: AddressBook = new Map();
  for (const [peer, address] of Object.entries(peers ?? {})) {
    book.set(peer, { peer: address, client: null });
  }
  for (const { id, dataDir } of nodes) {
    const head = encodeStoredSnapshot({
      metadata: {
        index: header.index,
        term: header.term,
        conf: { voters: peers === null ? [id] : Object.keys(peers), learners: [] },
      },
      data: encodeSnapshotData(book, new Uint8Array(0)),
    });
    mkdirSync(dataDir, { recursive: true });
    try {
      await install(file, dataDir, head);
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `restored ${header.keys} keys at raft index ${header.index} into ${dataDir} (node ${id}) in ${secs} s\n`,
    );
  }
}

function refuseNonEmpty(dataDir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ConfigError(`cannot read the data dir ${dataDir}: ${(err as Error).message}`);
  }
  if (entries.length > 0) {
    throw new ConfigError(
      `the data dir ${dataDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); restore only seeds a new node: give an empty or new directory`,
    );
  }
}

/** The whole file, checked before anything is written. */
async function verify(file: string): Promise<BackupHeader> {
  try {
    const { header, chunks } = await openBackup(file);
    const parser = new ImageParser();
    // Read to the end even past a malformed item: a bad checksum explains it better.
    let malformed: Error | null = null;
    for await (const chunk of chunks) {
      try {
        if (!malformed) parser.push(chunk);
      } catch (err) {
        malformed = err as Error;
      }
    }
    if (malformed) throw malformed;
    parser.end();
    if (parser.appliedIndex !== header.index || parser.pairs !== header.keys) {
      throw new BackupFileError(
        `${file} is inconsistent: its header says ${header.keys} keys at index ${header.index}, its image holds ${parser.pairs} at ${parser.appliedIndex}`,
      );
    }
    return header;
  } catch (err) {
    if (err instanceof BackupFileError) throw new ConfigError(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(`no backup file at ${file}`);
    }
    if (err instanceof PayloadError) {
      throw new ConfigError(`${file} holds a malformed image: ${err.message}`);
    }
    throw err;
  }
}

/** Streams the image into a storage engine of our own on the new data dir. */
async function install(file: string, dataDir: string, head: Uint8Array): Promise<void> {
  const server = await StorageServer.start({
    dataDir,
    socketPath: join(dataDir, 'storage.sock'),
    log: pino({ level: 'warn' }, pino.destination(2)),
  });
  try {
    const client = await connectStorage(server.socketPath, { requestTimeoutMs: 0 });
    try {
      const { chunks } = await openBackup(file);
      await client.installImage(KEYSPACE_RAFT_GROUP, chunks, head);
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
}
