// RESP (REdis Serialization Protocol) values, RESP2 and RESP3, as the reader
// produces them and the writer consumes them. Shared by the coordinator's
// client listener and the client library, so it sits below both.

export type RespValue =
  | { type: 'simple'; value: string } // +OK
  | { type: 'error'; value: string } // -ERR message (code word first)
  | { type: 'integer'; value: number | bigint } // :1
  | { type: 'bulk'; value: Uint8Array | null } // $3\r\nfoo / $-1 (null bulk)
  | { type: 'array'; value: RespValue[] | null } // *2 ... / *-1 (null array)
  // RESP3 only (after HELLO 3); a RESP2 writer downgrades them.
  | { type: 'null' } // _
  | { type: 'double'; value: number } // ,1.5
  | { type: 'boolean'; value: boolean } // #t
  | { type: 'map'; value: Array<[RespValue, RespValue]> } // %1 ...
  | { type: 'set'; value: RespValue[] } // ~1 ...
  | { type: 'verbatim'; format: string; value: string } // =15\r\ntxt:...
  | { type: 'push'; value: RespValue[] }; // >2 ...

export type RespVersion = 2 | 3;
