#!/usr/bin/env node
// Runs the whole suite: compile and bundle (tests drive the real CLI from build/), then node's test runner over
// every test/**/*.test.ts with tsx as the TypeScript loader. Node 20's runner takes no globs, so the
// files are listed here. Extra arguments are passed to the runner (e.g. a file to run alone).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
// The launcher prefers the CLI bundle when it is current: rebuild it so tests run what users run.
const bundle = spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { stdio: 'inherit' });
if (bundle.status !== 0) process.exit(bundle.status ?? 1);

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures') walk(p, out); }
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const extra = process.argv.slice(2);
const files = extra.length ? extra : walk(join(root, 'test'), []);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
