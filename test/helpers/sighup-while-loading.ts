// Preloaded (`--import`, through NODE_OPTIONS so a node's storage engine gets
// it too) by sighup-at-start.test.ts: registers module hooks that send the
// process SIGHUP while it loads distdb's commands (sighup-while-loading-hooks.ts).

import { register } from 'node:module';

register('./sighup-while-loading-hooks.js', import.meta.url);
