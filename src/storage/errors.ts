// Errors the storage client reports to its caller (the coordinator).

/** A request the engine refused or could not do; `code` names why (see docs/storage.md). */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The engine cannot be reached or the connection dropped; the request's outcome is unknown. */
export class StorageUnavailableError extends StorageError {
  override name = 'StorageUnavailableError';
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** No reply within the request timeout; the request may still take effect. */
export class StorageTimeoutError extends StorageError {
  override name = 'StorageTimeoutError';
  constructor(message: string) {
    super('timeout', message);
  }
}
