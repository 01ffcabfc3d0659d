#!/usr/bin/env node
// lockreview's benchmarks, each a ratio against a peer on the same input in the same run:
//  1. check (hunk-only) vs checkpatch.pl -q --terse on a 20- and a 100-patch mbox;
//  2. check --tree on a 20-commit series in a git repository of real kernel files (apply included);
//  3. scan over virt/, arch/x86/kvm/, kernel/, mm/ vs a bare tree-sitter parse of the same files;
//  4. peak RSS of the 100-patch check and of the scan;
//  5. start-up: --version and a one-patch check.
// Usage (from the repository root, after `npm ci`): node bench/run.mjs [--runs N] [--quick]
// Writes bench/results/latest.md and prints it. The LKMM checker has its own: bench/litmus.mjs.
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { tmpdir, cpus } from 'node:os';
import { ROOT, BIN, OUT, ensureLinuxSource, run, timeCommand, peakRssMb, buildSeriesMbox, cFiles, countLines, table } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const quick = args.includes('--quick');
const node = process.execPath;
const linux = ensureLinuxSource();
const checkpatch = join(linux, 'scripts', 'checkpatch.pl');
const lines = [];
const say = (s) => { lines.push(s); console.log(s); };

say(`# lockreview benchmarks\n\n${new Date().toISOString()} · node ${process.version} · ${cpus().length} cores · median of ${runs} runs\n`);

// 1. hunk-only check vs checkpatch.pl
const rows = [['input', 'lockreview check (ms)', 'checkpatch.pl -q --terse (ms)', 'speed-up', '5x target (ms)', 'floor: Node + parsing the hunks only (ms)']];
const mbox = {};
for (const n of [20, 100]) {
  const path = buildSeriesMbox(n, `series-${n}.mbox`);
  mbox[n] = path;
  const lr = timeCommand(node, [BIN, 'check', '--format', 'json', '--fail-on', 'never', path], runs);
  if (lr.status !== 0) throw new Error(`lockreview check failed on ${path}: ${lr.stderr}`);
  const cp = timeCommand('perl', [checkpatch, '-q', '--terse', '--no-tree', '--no-signoff', '--show-types', path], Math.max(1, Math.min(runs, 3)));
  // bench/parse-floor.mjs: what a process that only starts Node and parses the hunks with
  // tree-sitter costs; no per-run tool that parses the hunks can beat it.
  const floor = timeCommand(node, [join(ROOT, 'bench', 'parse-floor.mjs'), path], runs);
  if (floor.status !== 0) throw new Error(`parse floor failed on ${path}: ${floor.stderr}`);
  rows.push([`${n}-patch mbox`, lr.median.toFixed(0), cp.median.toFixed(0), `${(cp.median / lr.median).toFixed(1)}x`, (cp.median / 5).toFixed(0), floor.median.toFixed(0)]);
}
say('## check (hunk-only) vs checkpatch.pl, same mbox\n\n' + table(rows) + '\n\nGoal: at least 5x faster than checkpatch.pl. The floor (bench/parse-floor.mjs) starts Node, loads tree-sitter and parses the hunks, nothing else.\n');

// 2. --tree on a 20-commit series in a repository of real kernel files
const repo = mkdtempSync(join(tmpdir(), 'lr-bench-tree-'));
const files = cFiles([join(linux, 'kernel', 'locking'), join(linux, 'mm')]).filter((f) => f.endsWith('.c')).slice(0, 60);
for (const f of files) {
  const dst = join(repo, relative(linux, f));
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(f, dst);
}
const git = (...a) => { const r = run('git', ['-C', repo, ...a]); if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`); return r.stdout; };
git('init', '-q', '-b', 'main');
git('config', 'user.email', 'bench@example.org');
git('config', 'user.name', 'bench');
git('add', '-A');
git('commit', '-qm', 'base');
const base = git('rev-parse', 'HEAD').trim();
for (let i = 0; i < 20; i++) {
  const f = files[(i * 3) % files.length];
  const dst = join(repo, relative(linux, f));
  writeFileSync(dst, readFileSync(dst, 'latin1') + `\nstatic void lr_bench_${i}(struct lr_bench *b)\n{\n\tspin_lock(&b->lock);\n\tb->count++;\n\tspin_unlock(&b->lock);\n}\n`, 'latin1');
  git('commit', '-qam', `bench: change ${i}`);
}
const treeSeries = join(OUT, 'tree-series-20.mbox');
writeFileSync(treeSeries, git('format-patch', '--stdout', `--base=${base}`, `${base}..HEAD`));
git('reset', '-q', '--hard', base);
const tree = timeCommand(node, [BIN, 'check', '--tree', repo, '--format', 'json', '--fail-on', 'never', treeSeries], runs);
if (tree.status !== 0) throw new Error(`check --tree failed: ${tree.stderr}`);
const treeNotes = JSON.parse(tree.stdout).notes ?? [];
say(`## check --tree, 20-commit series on ${files.length} real kernel files (apply included)\n\n` + table([['input', 'median (ms)', 'min (ms)'], ['20 patches, --tree', tree.median.toFixed(0), tree.min.toFixed(0)]]) + `\n\nGoal: under 2000 ms. Notes from the run: ${treeNotes.slice(0, 3).join('; ') || '(none)'}\n`);

// 3. scan throughput vs a bare tree-sitter parse
const dirs = quick ? ['kernel/locking', 'virt'] : ['virt', 'arch/x86/kvm', 'kernel', 'mm'];
const scanFiles = cFiles(dirs.map((d) => join(linux, d)));
const listFile = join(OUT, 'scan-files.txt');
writeFileSync(listFile, scanFiles.join('\n'));
const nLines = countLines(scanFiles);
const scanRuns = quick ? 1 : Math.max(1, Math.min(runs, 3));
const scan = timeCommand(node, [BIN, 'scan', '--format', 'json', '--fail-on', 'never', ...dirs.map((d) => join(linux, d))], scanRuns);
if (scan.status !== 0) throw new Error(`scan failed: ${scan.stderr.slice(0, 300)}`);
const bare = timeCommand(node, [join(ROOT, 'bench', 'bare-parse.mjs'), listFile], scanRuns);
if (bare.status !== 0) throw new Error(`bare parse failed: ${bare.stderr}`);
const scanRows = [['run', 'files', 'lines', 'ms', 'lines/s'],
  ['lockreview scan', scanFiles.length, nLines, scan.median.toFixed(0), Math.round(nLines / (scan.median / 1000))],
  ['bare tree-sitter parse', scanFiles.length, nLines, bare.median.toFixed(0), Math.round(nLines / (bare.median / 1000))]];
say(`## scan over ${dirs.join(', ')} vs a bare tree-sitter parse\n\n` + table(scanRows) + `\n\nRatio (lockreview speed / bare parse speed): ${(bare.median / scan.median).toFixed(2)} (goal >= 0.5).\n`);

// 4. peak memory
const rss100 = peakRssMb(node, [BIN, 'check', '--format', 'json', '--fail-on', 'never', mbox[100]]);
const rssScan = peakRssMb(node, [BIN, 'scan', '--format', 'json', '--fail-on', 'never', ...dirs.map((d) => join(linux, d))]);
say('## peak RSS\n\n' + table([['run', 'peak RSS (MB)'], ['check, 100-patch mbox', rss100?.toFixed(0) ?? 'n/a'], [`scan ${dirs.join(', ')}`, rssScan?.toFixed(0) ?? 'n/a']]) + '\n\nGoal: under 400 MB.\n');

// 5. start-up
const one = buildSeriesMbox(1, 'series-1.mbox');
const v = timeCommand(node, [BIN, '--version'], Math.max(runs, 5));
const c1 = timeCommand(node, [BIN, 'check', '--format', 'json', '--fail-on', 'never', one], Math.max(runs, 5));
// The first run after installing (or after a rebuild) has neither the rules cache nor the code
// cache (both under the temp folder; bin/lockreview.js, src/kb/yaml-cache.ts): each run gets an
// empty TMPDIR of its own.
const coldTimes = [];
for (let i = 0; i < 3; i++) {
  const empty = mkdtempSync(join(tmpdir(), 'lr-bench-cold-'));
  coldTimes.push(timeCommand(node, [BIN, 'check', '--format', 'json', '--fail-on', 'never', one], 1, { env: { ...process.env, TMPDIR: empty } }).median);
  rmSync(empty, { recursive: true, force: true });
}
coldTimes.sort((a, b) => a - b);
say('## start-up\n\n' + table([['command', 'median (ms)'], ['lockreview --version', v.median.toFixed(0)], ['lockreview check (one patch)', c1.median.toFixed(0)], ['lockreview check (one patch), first run: no caches', coldTimes[1].toFixed(0)]]) + '\n\nGoal: under 300 ms. The first run builds the rules cache and the code cache that later runs read.\n');

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'latest.md'), lines.join('\n') + '\n');
