// Brings an LMDB environment written by an older build up to this build's
// layout version, once, at open (before the engine serves anything). Each
// step runs in one LMDB transaction with the version it reaches, so a crash
// leaves the data dir at the old version and the next open does it again.
//
// Versions: 1 (no version record) is every build before the record existed;
// 2 (18064ce, for minutes) recounted each group's stored key count, which
// builds from 7a41a19 up to 967b547 could leave short; 3 stores no key count
// at all (lever 17: LMDB's own entry count is read instead), so the upgrade
// to it, from 1 or 2, deletes the stored counts; 4 keys a stored snapshot
// image's pieces by byte offset (a leader reads any range of it to send), so
// the upgrade to it deletes pieces keyed by sequence number: the snapshot
// keeps its head, and a follower that needs an image is sent a new one.

import type { RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import {
  GROUP_PREFIX_BYTES,
  LAYOUT_VERSION,
  META_KEY_COUNT,
  RAFT_SNAPSHOT_CHUNK,
} from './lmdb-layout.js';
import type { BinaryDb } from './write-overlay.js';

export interface LayoutDbs {
  meta: BinaryDb;
  raft: BinaryDb;
  layout: BinaryDb;
}

const VERSION_KEY = Buffer.from('version');

/** The layout version the environment was written with (1 when it carries no record). */
export function storedLayoutVersion(dbs: LayoutDbs): number {
  const v = dbs.layout.getBinary(VERSION_KEY);
  if (v === undefined) return 1;
  if (v.length !== 4) {
    throw new Error(
      `the data dir's LMDB layout record is damaged (${v.length} bytes, expected 4): restore the data dir from a backup, or start this node with an empty one to catch up from the cluster`,
    );
  }
  return v.readUInt32BE(0);
}

/** Records `version` (for the upgrade below, and for tests that write an old data dir). */
export function writeLayoutVersion(dbs: LayoutDbs, version: number): void {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(version, 0);
  dbs.layout.putSync(VERSION_KEY, b);
}

/**
 * Upgrades the environment to LAYOUT_VERSION. Refuses one written by a newer
 * build: it may hold records this build would misread or lose.
 */
export function upgradeLayout(
  root: RootDatabase<Buffer, Buffer>,
  dbs: LayoutDbs,
  log?: Logger,
): void {
  const version = storedLayoutVersion(dbs);
  if (version === LAYOUT_VERSION) return;
  if (version > LAYOUT_VERSION) {
    throw new Error(
      `the data dir was written by a newer distdb (LMDB layout version ${version}; this build reads up to ${LAYOUT_VERSION}): run that build or a newer one`,
    );
  }
  root.transactionSync(() => {
    const dropped = dropStoredKeyCounts(dbs);
    const pieces = dropSeqPieces(dbs);
    writeLayoutVersion(dbs, LAYOUT_VERSION);
    if (pieces > 0) {
      log?.info(
        { from: version, to: LAYOUT_VERSION, pieces },
        'deleted the stored snapshot image (a one-time upgrade): a follower that needs one is sent a new one',
      );
    }
    if (dropped > 0) {
      log?.info(
        { from: version, to: LAYOUT_VERSION, groups: dropped },
        "deleted the stored key counts (a one-time upgrade): DBSIZE now reads LMDB's own count",
      );
    }
  });
}

/** Deletes the pieces of stored snapshot images keyed by seq:u32 (layout 3 and before). */
function dropSeqPieces(dbs: LayoutDbs): number {
  const stale = [...dbs.raft.getKeys()].filter(
    (key) =>
      key.length === GROUP_PREFIX_BYTES + 5 && key[GROUP_PREFIX_BYTES] === RAFT_SNAPSHOT_CHUNK,
  );
  for (const key of stale) dbs.raft.removeSync(key);
  return stale.length;
}

/** Deletes every group's stored key count (meta tag 0x02); returns how many there were. */
function dropStoredKeyCounts(dbs: LayoutDbs): number {
  const stale = [...dbs.meta.getKeys()].filter(
    (key) => key.length === GROUP_PREFIX_BYTES + 1 && key[GROUP_PREFIX_BYTES] === META_KEY_COUNT,
  );
  for (const key of stale) dbs.meta.removeSync(key);
  return stale.length;
}
