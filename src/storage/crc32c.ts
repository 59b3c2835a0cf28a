// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
// every write-ahead log record (wal-record.ts). Node 20 has no zlib.crc32,
// and CRC-32C is what iSCSI, ext4 and etcd's WAL use: it catches every burst
// error up to 32 bits and all the 1-3 bit errors a torn or decayed sector
// shows. Table-driven, one byte per step: records are small, and the one
// large read (replaying segments at start) is bounded by the log's size.

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of buf[start, end). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++)
    c = (TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
