// The node coordinator, for the commands that run it (`distdb coordinator`, `distdb node`).

export {
  startCoordinator,
  CoordinatorConfigError,
  type CoordinatorOptions,
  type CoordinatorHandle,
} from './coordinator.js';
export { DEFAULT_COORDINATOR_HOST, DEFAULT_COORDINATOR_PORT } from './defaults.js';
export {
  DEFAULT_LIMITS,
  LIMIT_SETTINGS,
  limitsProblem,
  type CoordinatorLimits,
  type LimitSetting,
} from './limits.js';
export type { ClusterOptions } from './replication/cluster-node.js';
export {
  DEFAULT_REPLICATION,
  type ReplicationSettings,
} from './replication/replication-settings.js';
export {
  createAuthenticator,
  requirePassUser,
  type Authenticator,
  type Permission,
  type Principal,
  type UserEntry,
} from './auth/authenticator.js';
export { ReloadableAuthenticator } from './auth/reloadable-authenticator.js';
export { loadUsersFile, mergeUsers, UsersConfigError } from './auth/users-file.js';
export { hashPassword } from './auth/password-hash.js';
