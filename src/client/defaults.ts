// Where a client connects unless told otherwise: a node's default client address.

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7379;
