#!/usr/bin/env node
// Thin launcher: picks the fastest build of the CLI that is current, and how V8 should run it.
// No review logic here (that is src/); only start-up, which a one-patch pre-send check feels.
//
// Builds, newest first (each used only when at least as new as the tsc output, so a `tsc` run
// without a bundle rebuild never runs stale code):
// - build/bundle/cli.cjs through V8's code cache, wherever require() can load ES modules (Node
//   >= 20.19 / 22.12): scripts/build-cli.mjs explains the file. Compiling ~1.2 MB of JavaScript
//   from scratch costs a check 30-40 ms a run on Node 20, which has no compile cache for ES
//   modules; the data, kept per user under the temp folder, is made by the first run of each
//   command;
// - build/bundle/cli.js, the ES module bundle (Node >= 22.1 keeps its compiled code itself
//   through module.enableCompileCache);
// - build/doors/cli.js, the tsc output.
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { createHash } from 'node:crypto';

const argv = process.argv.slice(2);
const debug = process.env.LOCKREVIEW_DEBUG ? (msg) => process.stderr.write(`lockreview: debug: launcher: ${msg}\n`) : () => {};
const command = argv.find((a) => !a.startsWith('-')) ?? '';

// WebAssembly tiering. By default V8 recompiles tree-sitter's hot functions with TurboFan in the
// background; the lexer and parser functions take 120-135 ms each to compile, and on a 2-core
// machine that work competes with the review itself: a 20-patch check took ~360 ms with it and
// ~280 ms with Liftoff (the baseline compiler) only (bench/, same mbox, alternating runs). Only a
// long run earns the optimised code back, so `scan` (whole trees: 12% slower on Liftoff alone over
// virt, arch/x86/kvm, kernel and mm) and `inbox` (whole archives) keep V8's default; `check
// --tree` on 20 commits (1.8 MB of whole files) was no slower on Liftoff alone, and a 500-patch
// mbox still ~5% faster. Set before
// anything is compiled: a V8 flag changed later would also invalidate the code cache below.
// The command is found as src/doors/cli.ts finds it (the first word that is not an option).
const SHORT_RUNS = new Set(['check', 'presend']);
if (SHORT_RUNS.has(command) && !process.env.LOCKREVIEW_WASM_TIERUP && Number(process.versions.node.split('.')[0]) <= 24) {
  // (Measured on Node 20; the flag is in the V8 of Node 20-24. A V8 without it would print a
  // warning on every run, hence the bound.)
  setFlagsFromString('--liftoff-only');
  debug('WebAssembly compiled by Liftoff only');
}

const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const stat = (path) => {
  try {
    return statSync(path);
  } catch {
    return null;
  }
};
const tscEntry = here('../build/doors/cli.js');
const tscTime = stat(tscEntry)?.mtimeMs ?? -1;
const fresh = (s) => !!s && s.mtimeMs >= tscTime;

function finish(run) {
  run.then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`lockreview: internal error: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 3;
    },
  );
}

/** `dir` (made when absent) is a folder of this user's that no one else can write. */
function privateDir(dir) {
  const uid = process.getuid?.();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (uid === undefined) return true; // Windows: the temp folder is the user's own
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

// Every rebuild of the bundle (the test runner makes one each run) gives each command a new entry
// of ~1.3 MB: only the newest are kept, enough for every command of two builds.
const KEEP_CODE_CACHES = 16;

/** Deletes all but the `keep` newest `.bin` entries of `dir` (best effort). */
function pruneOldest(dir, keep) {
  const entries = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.bin')) continue;
    const st = stat(join(dir, name));
    if (st) entries.push({ name, mtime: st.mtimeMs });
  }
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const e of entries.slice(keep)) rmSync(join(dir, e.name), { force: true });
}

/** Runs the CommonJS bundle compiled through a code cache; false when it cannot be used. */
function runCachedBundle() {
  const file = here('../build/bundle/cli.cjs');
  const st = stat(file);
  // require() of an ES module (octokit, which the GitHub doors load) needs Node >= 20.19.
  if (!fresh(st) || process.features?.require_module !== true || process.env.LOCKREVIEW_NO_CODE_CACHE) return false;
  const source = readFileSync(file, 'latin1'); // ASCII only (scripts/build-cli.mjs)
  // V8 checks the data's V8 version, flags and source length itself and rejects a mismatch; the
  // key adds what it cannot see (same length, other text) and the command, whose run decides which
  // functions the data holds.
  const key = createHash('sha1').update([file, st.size, st.mtimeMs, process.version, process.arch, command].join('\0')).digest('hex');
  const dir = join(tmpdir(), `lockreview-code-cache-${process.getuid?.() ?? 'u'}`);
  const cacheFile = join(dir, `${key}.bin`);
  // Code-cache data is code: V8 runs what it holds. The temp folder is shared, so only a real
  // folder of this user's that nobody else can write is read or written (src/kb/yaml-cache.ts
  // guards the rules cache the same way); anything else runs without a cache.
  const usable = privateDir(dir);
  let cachedData;
  if (usable) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      /* first run of this command: compiled from source, the data written at the end */
    }
  }
  // CommonJS's function wrapper, as Node's own loader applies it.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
  let script;
  let main;
  try {
    script = new Script(wrapped, { filename: file, cachedData });
    const module = { exports: {} };
    script.runInThisContext()(module.exports, nodeModule.createRequire(file), module, file, here('../build/bundle'));
    main = module.exports.main;
    if (typeof main !== 'function') throw new Error('no main()');
  } catch (err) {
    // A damaged bundle file: the ES module bundle still serves the run.
    debug(`CommonJS bundle unusable (${err && err.message ? err.message : String(err)})`);
    return false;
  }
  const stale = !cachedData || script.cachedDataRejected === true;
  debug(usable ? `CommonJS bundle, code cache ${!cachedData ? 'absent' : stale ? 'rejected' : 'accepted'} (${cacheFile})` : `CommonJS bundle, no code cache: ${dir} is not a folder of this user's that only it can write`);
  const run = main(argv);
  if (stale && usable) {
    // After the run, so the data also holds the functions it compiled lazily; written whole or
    // not at all (rename), and any failure only costs speed next time.
    run.then(() => {
      try {
        const tmp = join(dir, `.${key}.${process.pid}.tmp`);
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        pruneOldest(dir, KEEP_CODE_CACHES);
      } catch {
        /* read-only temp folder */
      }
    }, () => {});
  }
  finish(run);
  return true;
}

// A bare --version or --help reads the small ES module entry, not the whole CommonJS bundle.
if (!command || !runCachedBundle()) {
  // Node >= 22.1 keeps V8's compiled code of ES modules between runs (absent on Node 20).
  try {
    nodeModule.enableCompileCache?.();
  } catch {
    /* a read-only cache folder only costs speed */
  }
  const entry = fresh(stat(here('../build/bundle/cli.js'))) ? '../build/bundle/cli.js' : '../build/doors/cli.js';
  debug(entry.includes('bundle') ? 'ES module bundle' : 'tsc output');
  finish(import(entry).then((m) => m.main(argv)));
}
