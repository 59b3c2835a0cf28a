// Records the modules a process loads, for tests of what a command loads: a
// process started with `--import` of this file (in NODE_OPTIONS) appends the
// URL of each module it loads to the file MODULE_TRACE_FILE names, one a
// line, before the module runs (module-trace-hooks.ts). CommonJS modules
// that other CommonJS modules require are not seen, only those imported.

import { register } from 'node:module';

register('./module-trace-hooks.js', import.meta.url, { data: process.env['MODULE_TRACE_FILE'] });
