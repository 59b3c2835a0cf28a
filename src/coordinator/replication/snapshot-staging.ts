// A snapshot arriving from the leader, staged into the storage engine as its
// pieces arrive (Ready.incomingSnapshot), then installed from there: the
// coordinator holds the snapshot data's head (the address book in front of
// the image, snapshot-format.ts), never the image. Each piece resolves once
// the engine has it durably staged, and the Ready loop sends the Ready's
// messages (the chunk's acknowledgment) only after that.

import type { IncomingSnapshotStep, SnapshotMetadata } from '../../raft/types.js';
import type { GroupId } from '../../storage/api.js';
import type { ReplicaStorage } from './raft-disk.js';
import type { AddressBook } from './address-book.js';
import { MAX_BOOK_BYTES, decodeSnapshotData, encodeStoredSnapshot } from './snapshot-format.js';

interface Receiving {
  index: number;
  /** The engine's install session. */
  installId: number;
  /** The bytes before the image: u32 bookLength, then the book. */
  head: Buffer;
  headLength: number;
  /** Snapshot data staged so far. */
  bytes: number;
}

export class SnapshotStaging {
  private current: Receiving | null = null;

  constructor(
    private readonly storage: ReplicaStorage,
    private readonly group: GroupId,
  ) {}

  /** Stages a piece, or drops what was staged; resolves once durable in the engine. */
  async step(s: IncomingSnapshotStep): Promise<void> {
    if (s.type === 'drop') {
      await this.drop();
      return;
    }
    const { metadata, offset, data } = s.chunk;
    if (offset === 0) {
      await this.drop();
      // A begin also ends any install this connection left open (a reloaded driver's).
      const installId = await this.storage.imageInstallBegin(this.group);
      this.current = {
        index: metadata.index,
        installId,
        head: Buffer.alloc(0),
        headLength: -1,
        bytes: 0,
      };
    }
    const cur = this.current;
    if (cur === null || cur.index !== metadata.index) {
      throw new Error(`snapshot ${metadata.index}: a piece at ${offset} arrived with none begun`);
    }
    cur.bytes += data.byteLength;
    let rest = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (cur.headLength < 0 || cur.head.length < cur.headLength) {
      rest = this.takeHead(cur, rest);
      if (rest.length === 0) return;
    }
    await this.storage.imageInstallChunk(this.group, cur.installId, rest);
  }

  /**
   * Installs the staged snapshot (state machine, applied index, stored head,
   * emptied log: one engine transaction) and answers its address book.
   */
  async install(metadata: SnapshotMetadata): Promise<AddressBook> {
    const cur = this.current;
    if (cur === null || cur.index !== metadata.index) {
      throw new Error(`snapshot ${metadata.index} is to be installed but was not staged`);
    }
    this.current = null;
    const storedHead = encodeStoredSnapshot({ metadata, data: cur.head });
    await this.storage.imageInstallCommit(this.group, cur.installId, storedHead);
    return decodeSnapshotData(cur.head).book;
  }

  /** Bytes of the snapshot being staged (0 when none). */
  get stagedBytes(): number {
    return this.current?.bytes ?? 0;
  }

  /** Abandons what was staged (the engine empties its staging area). */
  async drop(): Promise<void> {
    const cur = this.current;
    this.current = null;
    if (cur !== null) await this.storage.imageSessionEnd(this.group, cur.installId);
  }

  /** The head's bytes from the front of `piece`; answers the rest (image bytes). */
  private takeHead(cur: Receiving, piece: Buffer): Buffer {
    if (cur.headLength < 0) {
      const need = 4 - cur.head.length;
      cur.head = Buffer.concat([cur.head, piece.subarray(0, need)]);
      piece = piece.subarray(need);
      if (cur.head.length < 4) return piece;
      const bookLength = cur.head.readUInt32BE(0);
      if (bookLength > MAX_BOOK_BYTES) {
        throw new Error(
          `snapshot ${cur.index}: an address book of ${bookLength} bytes (at most ${MAX_BOOK_BYTES})`,
        );
      }
      cur.headLength = 4 + bookLength;
    }
    const need = cur.headLength - cur.head.length;
    cur.head = Buffer.concat([cur.head, piece.subarray(0, need)]);
    return piece.subarray(need);
  }
}
