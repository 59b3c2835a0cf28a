// The client library's public surface.

export { connect, Client } from './client.js';
export { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';
export type { Arg, ClientTlsOptions, ConnectOptions } from './client.js';
export {
  DistdbError,
  ReplyError,
  AuthError,
  PermissionError,
  ConnectionError,
  TimeoutError,
} from './errors.js';
export type { Reply } from './reply.js';
