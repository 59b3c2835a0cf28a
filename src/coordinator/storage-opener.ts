// How the coordinator reaches its storage engine. Placeholder until the
// storage client (src/storage/client.ts) lands: every attempt fails, so the
// coordinator runs and answers TRYAGAIN.
import type { StorageOpener } from './storage-link.js';

export function storageOpener(socketPath: string): StorageOpener {
  return () =>
    Promise.reject(new Error(`storage client not built yet; cannot reach ${socketPath}`));
}
