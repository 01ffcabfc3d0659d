#!/usr/bin/env node
// Thin launcher. Runs the CLI bundle (build/bundle/cli.js, scripts/build-cli.mjs: one minified
// module graph, much faster to start) when it is at least as new as the tsc output, else the tsc
// output itself (build/doors/cli.js), so a `tsc` run without a bundle rebuild never runs stale code.
import { statSync } from 'node:fs';
import * as nodeModule from 'node:module';

// Node >= 22.1 can keep V8's compiled code between runs (it is absent on Node 20, where this is a
// no-op); a one-patch check spends a good part of its start-up compiling the bundle.
try {
  nodeModule.enableCompileCache?.();
} catch {
  /* a read-only cache folder only costs speed */
}

const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundled = mtime('../build/bundle/cli.js');
const entry = bundled >= 0 && bundled >= mtime('../build/doors/cli.js') ? '../build/bundle/cli.js' : '../build/doors/cli.js';

import(entry).then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`lockreview: internal error: ${err && err.message ? err.message : String(err)}\n`); process.exitCode = 3; },
);
