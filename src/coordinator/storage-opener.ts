// How the coordinator reaches its storage engine: the engine's socket client.
import { connectStorage } from '../storage/client.js';
import type { StorageOpener } from './storage-link.js';

export function storageOpener(socketPath: string): StorageOpener {
  return async () => {
    const client = await connectStorage(socketPath);
    return { api: client, closed: client.closed };
  };
}
