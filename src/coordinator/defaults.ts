// Where a coordinator listens unless told otherwise; apart from coordinator.ts
// so that the flags' help names them without loading the coordinator.

export const DEFAULT_COORDINATOR_HOST = '127.0.0.1';
export const DEFAULT_COORDINATOR_PORT = 7379;
