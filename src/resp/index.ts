// The RESP protocol layer: parsers and encoders for both ends of a connection.

export type { RespValue, RespVersion } from './types.js';
export { RespProtocolError } from './protocol-error.js';
export { RequestParser, DEFAULT_REQUEST_LIMITS, type RequestLimits } from './request-parser.js';
export { ReplyParser, DEFAULT_REPLY_LIMITS, type ReplyLimits } from './reply-parser.js';
export {
  encodeReply,
  encodeBulk,
  encodeBulkArray,
  encodeError,
  encodeInteger,
  encodeNull,
  encodeSimple,
  formatDouble,
  OK_REPLY,
  PONG_REPLY,
} from './reply-encoder.js';
export { encodeCommand } from './command-encoder.js';
export { splitInlineArgs } from './inline-args.js';
