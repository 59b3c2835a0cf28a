// How the coordinator reaches its storage engine: the engine's socket client,
// after checking the socket is ours (again on every reconnect: the file may
// have been replaced while the engine was down).
import { connectStorage } from '../storage/client.js';
import type { StorageOpener } from './storage-link.js';
import { checkStorageSocket } from './storage-socket-owner.js';

export function storageOpener(socketPath: string): StorageOpener {
  return async () => {
    checkStorageSocket(socketPath);
    const client = await connectStorage(socketPath);
    return { api: client, closed: client.closed };
  };
}
