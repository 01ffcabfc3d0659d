#!/usr/bin/env node
// Thin launcher: the compiled CLI door lives in build/ (npm ci runs `prepare`, which compiles it).
import('../build/doors/cli.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`lockreview: internal error: ${err && err.message ? err.message : String(err)}\n`); process.exitCode = 3; },
);
