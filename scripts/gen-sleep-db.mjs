#!/usr/bin/env node
// Generates rules/primitives/sleep-6.12-generated.yaml: the kernel functions that sleep on their
// straight path (on every config, or only on PREEMPT_RT: `@rt` lines), computed by lockreview's
// own engine over Debian's linux-source-6.12 (see docs/sleep-db.md). Not run by the tests or CI:
// it takes minutes over ~30,000 files.
//
//   npx tsc -p tsconfig.json && node scripts/gen-sleep-db.mjs [--tree DIR] [--jobs N] [--out FILE]
//
// --tree: a kernel tree (default /tmp/ksrc/linux-source-6.12, extracted from
// /usr/src/linux-source-6.12.tar.xz when missing). --jobs: processes sharing the files (default:
// the machine's cores, at most 4). The core (phase 1 per file, phase 2 over the tree) is
// src/kb/sleep-db.ts, run here from its tsc output in build/.
//
// Files are shared among child processes of this script, each taking every N-th file: the engine's
// scan worker threads (src/engine/scan-workers.ts) run the scan's checks and return findings, not
// the per-function facts needed here, and take no other worker script.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const TARBALL = '/usr/src/linux-source-6.12.tar.xz';
const TOP = 'linux-source-6.12';
/** Directories whose .c files are read. Headers come from include/ and arch/x86/include/. */
const ALL_SOURCE_DIRS = ['arch/x86', 'block', 'certs', 'crypto', 'drivers', 'fs', 'init', 'io_uring', 'ipc', 'kernel', 'lib', 'mm', 'net', 'security', 'sound', 'virt'];
const HEADER_DIRS = ['include', 'arch/x86/include'];
// --dirs a,b: a part of the tree only (for trying the generator; the checked-in file uses all).
const SOURCE_DIRS = process.argv.includes('--dirs') ? process.argv[process.argv.indexOf('--dirs') + 1].split(',') : ALL_SOURCE_DIRS;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function listFiles(dir, re, out) {
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) listFiles(p, re, out);
    else if (re.test(n)) out.push(p);
  }
  return out;
}

const sleepDb = () => import(join(root, 'build/kb/sleep-db.js'));

// ---------------------------------------------------------------------------------------------
// Child: phase 1 over its share of the files, written as JSON to --shard-out.

async function child() {
  const [k, n] = option('--shard').split('/').map(Number);
  const tree = option('--tree');
  const files = JSON.parse(readFileSync(option('--list'), 'utf8'));
  const { baseKnowledgeBase, fileSleepFacts } = await sleepDb();
  const { kb } = await baseKnowledgeBase();
  const out = [];
  const failed = [];
  for (let i = k; i < files.length; i += n) {
    const rel = files[i];
    try {
      const text = readFileSync(join(tree, rel), 'latin1');
      out.push(await fileSleepFacts(rel, text, kb));
    } catch (e) {
      failed.push(`${rel}: ${e?.message ?? e}`);
    }
  }
  writeFileSync(option('--shard-out'), JSON.stringify({ facts: out, failed }));
}

// ---------------------------------------------------------------------------------------------
// Parent

function kernelVersion(tree) {
  try {
    const mk = readFileSync(join(tree, 'Makefile'), 'utf8');
    const v = (k) => new RegExp(`^${k}\\s*=\\s*(\\S*)`, 'm').exec(mk)?.[1] ?? '';
    return `${v('VERSION')}.${v('PATCHLEVEL')}.${v('SUBLEVEL')}`;
  } catch {
    return '6.12';
  }
}

function ensureTree(tree) {
  if (existsSync(join(tree, 'drivers')) && existsSync(join(tree, 'include'))) return;
  const parent = join(tree, '..');
  console.error(`extracting ${TARBALL} into ${parent} ...`);
  const patterns = [...ALL_SOURCE_DIRS, 'include'].map((d) => `${TOP}/${d}/*`).concat(`${TOP}/Makefile`);
  execFileSync('mkdir', ['-p', parent]);
  execFileSync('tar', ['-xJf', TARBALL, '-C', parent, '--wildcards', ...patterns], { stdio: 'inherit' });
}

/** Phase 1 over all files, shared among `jobs` child processes. */
async function phase1(work, files, jobs, tree) {
  const list = join(work, 'files.json');
  writeFileSync(list, JSON.stringify(files));
  const shards = Array.from({ length: jobs }, (_, k) => join(work, `shard-${k}.json`));
  await Promise.all(
    shards.map((shardOut, k) => {
      const args = [fileURLToPath(import.meta.url), '--child', '--shard', `${k}/${jobs}`, '--tree', tree, '--list', list, '--shard-out', shardOut];
      return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, ['--max-old-space-size=4096', ...args], { stdio: 'inherit' });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`shard ${k} exited with ${code}`))));
      });
    }),
  );
  const facts = [];
  const failed = [];
  for (const s of shards) {
    const r = JSON.parse(readFileSync(s, 'utf8'));
    facts.push(...r.facts);
    failed.push(...r.failed);
  }
  facts.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { facts, failed };
}

async function parent() {
  const started = Date.now();
  const tree = option('--tree', `/tmp/ksrc/${TOP}`);
  const jobs = Math.max(1, Number(option('--jobs', String(Math.min(availableParallelism(), 4)))));
  const outFile = option('--out', join(root, 'rules/primitives/sleep-6.12-generated.yaml'));
  ensureTree(tree);
  const sources = SOURCE_DIRS.flatMap((d) => listFiles(join(tree, d), /\.c$/, []));
  const headers = HEADER_DIRS.flatMap((d) => listFiles(join(tree, d), /\.h$/, []));
  const files = [...sources, ...headers].map((f) => relative(tree, f));
  console.error(`${sources.length} .c files, ${headers.length} public headers, ${jobs} processes`);

  const work = mkdtempSync(join(tmpdir(), 'gen-sleep-db-'));
  try {
    // --keep-facts FILE saves phase 1's output; --from-facts FILE reuses it (phase 2 only).
    const saved = option('--from-facts') ? JSON.parse(readFileSync(option('--from-facts'), 'utf8')) : null;
    const { facts, failed } = saved ?? (await phase1(work, files, jobs, tree));
    if (option('--keep-facts')) writeFileSync(option('--keep-facts'), JSON.stringify({ facts, failed }));
    const phase1Done = Date.now();

    const { baseKnowledgeBase, buildSleepDb, headerFunctionNames, renderSleepDb } = await sleepDb();
    const { known } = await baseKnowledgeBase();
    const declaredInHeaders = new Set();
    for (const h of headers) headerFunctionNames(readFileSync(h, 'latin1'), declaredInHeaders);
    const db = buildSleepDb(facts, { known, declaredInHeaders });
    const byRound = {};
    const rtByRound = {};
    for (const e of db.entries) {
      const count = e.rtOnly ? rtByRound : byRound;
      count[e.round] = (count[e.round] ?? 0) + 1;
    }
    const perRound = (c) => Object.entries(c).map(([r, n]) => `${r}: ${n}`).join(', ');
    const rtLines = db.entries.filter((e) => e.rtOnly).length;
    const header = [
      `GENERATED by scripts/gen-sleep-db.mjs: do not edit. Hand-written primitives in the other rules files win.`,
      `Kernel functions that sleep on their straight path, computed by lockreview's engine over Debian's`,
      `linux-source-6.12 (Linux ${kernelVersion(tree)}): ${sources.length} .c files of ${SOURCE_DIRS.join(', ')},`,
      `and the static inline functions of ${HEADER_DIRS.join(' and ')}. docs/sleep-db.md says what is left out and why.`,
      `A line is a function visible to other files (non-static and exported or named in a public header,`,
      `or static inline in a public header) whose every definition sleeps: in round 0 by its own file's`,
      `summaries, in round n through a straight-path call to a line of round n-1 (iterated to a fixpoint:`,
      `${db.rounds} rounds). Lines per round: ${perRound(byRound)}.`,
      `Lines with @rt (${rtLines}) sleep only on PREEMPT_RT: their chain ends in a spinlock_t, rwlock_t or`,
      `local_lock_t (the summaries' maySleepOnRT), no definition sleeps on every config, and none tests`,
      `CONFIG_PREEMPT_RT (${db.rtRounds} rounds; per round: ${perRound(rtByRound)}).`,
      `Line format (src/kb/schema.ts sleepTableSchema): name, defining file, [@rt,] the calls down to the`,
      `sleeping primitive. The knowledge base reads a line as { name, family: sleep-db, op: sleep,`,
      `sleeps: true (sleepsOnRT: true for @rt), doc: "file: -> call() -> ..." }.`,
      ``,
      `Regenerate: npx tsc -p tsconfig.json && node scripts/gen-sleep-db.mjs`,
      `(extracts ${TARBALL} under /tmp/ksrc when needed; ~6 min on 2 cores)`,
    ];
    writeFileSync(outFile, renderSleepDb(db.entries, header));
    const fns = facts.reduce((n, f) => n + f.definitions.length, 0);
    console.error(`${facts.length} files (${failed.length} failed), ${fns} function definitions; phase 1 ${saved ? 'reused' : `${((phase1Done - started) / 1000).toFixed(0)} s`}, total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.error(`${db.entries.length} entries: ${db.entries.length - rtLines} plain (${JSON.stringify(byRound)} by round, ${db.rounds} rounds), ${rtLines} PREEMPT_RT only (${JSON.stringify(rtByRound)}, ${db.rtRounds} rounds); excluded: ${JSON.stringify(db.excluded)}`);
    for (const f of failed.slice(0, 10)) console.error(`  failed: ${f}`);
    console.error(`wrote ${relative(process.cwd(), outFile)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
