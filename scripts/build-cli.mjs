#!/usr/bin/env node
// Bundles the CLI into build/bundle/ (esbuild, ESM, minified, split at every dynamic import).
//
// Why: start-up. The tsc output is ~120 modules plus several hundred files of dependencies, and
// Node resolves, reads and compiles each one separately before the first line of work; one minified
// graph cuts that to a handful of files. Code splitting keeps the per-command laziness of
// src/doors/cli.ts (and the lazy imports of git, HTTP and SQLite code): a hunk-only check never
// compiles them. bin/lockreview.js runs the bundle when it is at least as new as the tsc output,
// else the tsc output (so a `tsc` without a bundle rebuild never runs stale code).
// `node scripts/build-cli.mjs` (run by `npm run build`, `prepare` and the test runner).
import { build } from 'esbuild';
import { readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { bundleDefines } from './bundle-defines.mjs';
import { basename, join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const outdir = join(root, 'build', 'bundle');

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// Worker entry points run in their own threads and are located beside the module that starts
// them; they are bundled as entries of their own when present.
const workerEntries = ['src/engine/scan-worker.ts'].filter((p) => existsSync(join(root, p)));

const define = bundleDefines(root);
// What both builds share. LOCKREVIEW_BUILD_NOMINIFY=1 keeps names readable for CPU profiles.
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: !process.env.LOCKREVIEW_BUILD_NOMINIFY,
  legalComments: 'none',
  logLevel: 'warning',
  // Dependencies that only the network, mail and state doors use stay in node_modules: they are
  // loaded lazily anyway (bundling them buys no start-up), and some locate their own files through
  // __dirname or rely on CommonJS interop that an ESM bundle changes (sql.js's WASM, nodemailer).
  // yaml is required only when a rules file misses the parse cache (src/kb/yaml-cache.ts): left
  // external, a warm check does not even compile it.
  external: ['sql.js', 'nodemailer', 'octokit', '@octokit/*', 'undici', 'smtp-server', 'yaml'],
};

await build({
  ...common,
  // Named outputs: every entry lands in build/bundle/ itself (bin/lockreview.js runs cli.js; the
  // scan worker is found beside the chunk holding src/assets.ts), not under src/'s folder names.
  entryPoints: [{ in: join(root, 'src/doors/cli.ts'), out: 'cli' }, ...workerEntries.map((p) => ({ in: join(root, p), out: basename(p, '.ts') }))],
  outdir,
  splitting: true,
  format: 'esm',
  charset: 'utf8',
  // The bundle is not one directory below package.json: the version is fixed at build time.
  define,
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has none of its own.
  banner: {
    js: "import { createRequire as __lockreviewCreateRequire } from 'node:module';\nconst require = __lockreviewCreateRequire(import.meta.url);",
  },
});

// The same CLI as one CommonJS file, build/bundle/cli.cjs. Node 20 has no compile cache for ES
// modules (module.enableCompileCache arrived in 22.1), but a CommonJS script can be compiled
// through vm.Script with V8 code-cache data: bin/lockreview.js keeps that data between runs, which
// spares a check compiling ~1.2 MB of JavaScript anew (30-40 ms a run, measured in bench/). No code splitting in this format: esbuild turns each dynamic import of our own modules
// into a lazy initialiser, so the per-command laziness stays. The scan worker stays the ES module
// entry above (same folder).
const cjsFile = join(outdir, 'cli.cjs');
await build({
  ...common,
  entryPoints: [join(root, 'src/doors/cli.ts')],
  outfile: cjsFile,
  format: 'cjs',
  // ASCII output (other characters escaped: 1.5 MB instead of 1.2), which the launcher reads as
  // latin1 in ~2 ms; decoding the UTF-8 file into a two-byte string took ~5 ms.
  charset: 'ascii',
  // A script compiled by vm.Script has no loader for import(): every dynamic import becomes a
  // require() (those of node_modules too; octokit is an ES module, which require() loads on the
  // Node versions the launcher uses this file on). web-tree-sitter's CommonJS build is the one
  // without a dynamic import of its own.
  supported: { 'dynamic-import': false },
  alias: { 'web-tree-sitter': join(root, 'node_modules/web-tree-sitter/web-tree-sitter.cjs') },
  define: { ...define, 'import.meta.url': '__lockreview_import_meta_url' },
  banner: { js: "var __lockreview_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
});
// A leftover import() would throw only when reached, far from here: refuse the build instead.
const cjsText = readFileSync(cjsFile, 'utf8');
const leftover = /\bimport\((?!\))/.exec(cjsText);
if (leftover) {
  console.error(`build-cli: ${cjsFile} still holds a dynamic import(): ...${cjsText.slice(Math.max(0, leftover.index - 80), leftover.index + 40)}...`);
  process.exit(1);
}
