// Module hooks of module-trace.ts, run on the loader's own thread: each
// module's URL is appended at once (synchronously), so the list is complete
// however the traced process ends.

import { appendFileSync } from 'node:fs';
import type { InitializeHook, LoadHook } from 'node:module';

let file = '';

export const initialize: InitializeHook<string> = (path) => {
  file = path;
};

export const load: LoadHook = (url, context, nextLoad) => {
  appendFileSync(file, url + '\n');
  return nextLoad(url, context);
};
