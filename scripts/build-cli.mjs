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
import { basename, join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const outdir = join(root, 'build', 'bundle');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// Worker entry points run in their own threads and are located beside the module that starts
// them; they are bundled as entries of their own when present.
const workerEntries = ['src/engine/scan-worker.ts'].filter((p) => existsSync(join(root, p)));

await build({
  absWorkingDir: root,
  // Named outputs: every entry lands in build/bundle/ itself (bin/lockreview.js runs cli.js; the
  // scan worker is found beside the chunk holding src/assets.ts), not under src/'s folder names.
  entryPoints: [{ in: join(root, 'src/doors/cli.ts'), out: 'cli' }, ...workerEntries.map((p) => ({ in: join(root, p), out: basename(p, '.ts') }))],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'utf8',
  // Dependencies that only the network, mail and state doors use stay in node_modules: they are
  // loaded lazily anyway (bundling them buys no start-up), and some locate their own files through
  // __dirname or rely on CommonJS interop that an ESM bundle changes (sql.js's WASM, nodemailer).
  // yaml is required only when a rules file misses the parse cache (src/kb/yaml-cache.ts): left
  // external, a warm check does not even compile it.
  external: ['sql.js', 'nodemailer', 'octokit', '@octokit/*', 'undici', 'smtp-server', 'yaml'],
  // The bundle is not one directory below package.json: the version is fixed at build time.
  define: { __LOCKREVIEW_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has none of its own.
  banner: {
    js: "import { createRequire as __lockreviewCreateRequire } from 'node:module';\nconst require = __lockreviewCreateRequire(import.meta.url);",
  },
});
