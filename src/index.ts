// The `distdb` package: `import { connect } from 'distdb'`.

export {
  connect,
  Client,
  DistdbError,
  ReplyError,
  AuthError,
  PermissionError,
  ConnectionError,
  TimeoutError,
} from './client/index.js';
export type { Arg, ClientTlsOptions, ConnectOptions, Reply } from './client/index.js';
export type { RespValue } from './resp/types.js';
