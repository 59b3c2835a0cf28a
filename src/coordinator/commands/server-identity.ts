// How the node names itself to clients (HELLO, INFO).

/** HELLO's `server` field. */
export const SERVER_NAME = 'distdb';

/** The distdb release. */
export const DISTDB_VERSION = '0.1.0';

/**
 * The Redis version whose protocol and replies distdb follows, reported as
 * HELLO's `version` and INFO's `redis_version`: client libraries read it to
 * decide which commands and reply shapes they may use.
 */
export const REDIS_COMPATIBLE_VERSION = '7.2.0';
