#!/usr/bin/env node
// `lockreview presend` speed: a 20-commit series on top of a kernel-sized repository (the whole
// Debian linux-source-6.12 tree committed once into a cached repository), against the same series
// on top of a tiny repository holding only the files the series touches. If the range's diff (and
// not the tree) decides the cost, the two times are close. Also: node start-up (--version), one
// commit, and the analysis time lockreview reports itself. A script, not a test: it prints numbers
// and asserts nothing about time.
// Usage: node bench/presend.mjs [--runs N] [--commits N] [--repo DIR]
//   --repo: where the big repository is cached (default $TMPDIR/lockreview-bench-linux-repo);
//   without the kernel source (bash /tmp/get-linux-source.sh), a synthetic tree of 70,000 files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'lockreview.js');
const LINUX = process.env.LINUX_SRC || '/usr/src/linux-source-6.12';
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', 3));
const commits = Number(opt('--commits', 20));
const bigRepo = opt('--repo', join(tmpdir(), 'lockreview-bench-linux-repo'));
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.org', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.org' };

function git(cwd, ...a) {
  const r = spawnSync('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// CPU time (user + system) is reported beside wall time: on a loaded machine wall time mostly
// measures the other processes. Children's CPU comes from /proc/self/stat (cutime + cstime: every
// waited-for child, its own children included), ours from process.cpuUsage().
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function cpuMs() {
  let children = 0;
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = ((Number(f[13]) + Number(f[14])) / TICK) * 1000; // fields 16, 17 of stat(5)
  } catch {}
  const own = process.cpuUsage();
  return children + (own.user + own.system) / 1000;
}

function stats(wall, cpu) {
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { median: med(wall), min: Math.min(...wall), max: Math.max(...wall), cpu: med(cpu) };
}

function timed(cmd, a, cwd) {
  const wall = [];
  const cpu = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    const t0 = process.hrtime.bigint();
    last = spawnSync(cmd, a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpu.push(cpuMs() - c0);
  }
  return { ...stats(wall, cpu), status: last.status, stdout: last.stdout, stderr: last.stderr };
}

/** The big repository: the kernel tree (or a synthetic one) in one base commit, made once. */
function ensureBigRepo() {
  if (existsSync(join(bigRepo, '.git')) && git(bigRepo, 'tag', '-l', 'bench-base').trim()) return;
  mkdirSync(bigRepo, { recursive: true });
  git(bigRepo, 'init', '-q', '-b', 'main');
  if (existsSync(join(LINUX, 'Makefile'))) {
    console.error(`importing ${LINUX} into ${bigRepo} (once; a few minutes)...`);
    git(LINUX, '--git-dir', join(bigRepo, '.git'), '--work-tree', LINUX, 'add', '-A', '-f', '.');
    // The files stay in LINUX; the repository's own work tree gets them by checkout.
    git(bigRepo, 'commit', '-q', '--no-verify', '-m', 'linux-source-6.12');
    git(bigRepo, 'checkout', '-q', '-f', 'main');
  } else {
    console.error(`no kernel source at ${LINUX}: building a synthetic tree of 70,000 files...`);
    for (let d = 0; d < 700; d++) {
      const dir = join(bigRepo, `drivers/d${d}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, `f${f}.c`), syntheticFile(d, f));
    }
    git(bigRepo, 'add', '-A', '.');
    git(bigRepo, 'commit', '-q', '--no-verify', '-m', 'synthetic tree');
  }
  git(bigRepo, 'tag', 'bench-base');
}

function syntheticFile(d, f) {
  let s = `// synthetic ${d}/${f}\n#include <linux/spinlock.h>\n\nstatic DEFINE_SPINLOCK(lock_${d}_${f});\n`;
  for (let i = 0; i < 40; i++) s += `\nstatic int fn_${i}(int x)\n{\n\tint r;\n\n\tspin_lock(&lock_${d}_${f});\n\tr = x + ${i};\n\tspin_unlock(&lock_${d}_${f});\n\treturn r;\n}\n`;
  return s;
}

/** The series' files: real, large C files spread over the tree (or synthetic ones). */
function seriesFiles(repo) {
  const all = git(repo, 'ls-files', '*.c').split('\n').filter(Boolean);
  const preferred = ['mm/memory.c', 'mm/page_alloc.c', 'kernel/sched/core.c', 'fs/namei.c', 'net/core/dev.c', 'arch/x86/kvm/mmu/mmu.c', 'kernel/workqueue.c', 'drivers/base/core.c', 'fs/inode.c', 'kernel/fork.c'];
  const picked = preferred.filter((p) => all.includes(p));
  for (let i = 0; picked.length < commits && i < all.length; i += Math.max(1, Math.floor(all.length / commits))) if (!picked.includes(all[i])) picked.push(all[i]);
  return picked.slice(0, commits);
}

/** One commit's addition: a helper taking a spinlock; commit 7 adds the bit-lock bug. */
function addition(i) {
  if (i === 7) {
    return `
struct bench_head_${i} { unsigned long val; };
#define BENCH_LOCKED_${i} BIT(0)

static unsigned long bench_lock_${i}(struct bench_head_${i} *head)
{
	unsigned long old = READ_ONCE(head->val);

	do {
		while (old & BENCH_LOCKED_${i}) {
			cpu_relax();
			old = READ_ONCE(head->val);
		}
	} while (!try_cmpxchg(&head->val, &old, old | BENCH_LOCKED_${i}));
	return old;
}

static void bench_unlock_${i}(struct bench_head_${i} *head, unsigned long v)
{
	WRITE_ONCE(head->val, v & ~BENCH_LOCKED_${i});
}
`;
  }
  return `
static DEFINE_SPINLOCK(bench_lock_${i});
static int bench_count_${i};

static int bench_helper_${i}(int delta)
{
	int r;

	spin_lock(&bench_lock_${i});
	bench_count_${i} += delta;
	r = bench_count_${i};
	spin_unlock(&bench_lock_${i});
	return r;
}
`;
}

/** Resets `branch` to the repository's base and commits the series on it. */
function buildSeries(repo, files, branch = 'bench-series') {
  git(repo, 'checkout', '-q', '-f', '-B', branch, 'bench-base');
  files.forEach((f, i) => {
    const p = join(repo, f);
    writeFileSync(p, readFileSync(p, 'utf8') + addition(i));
    git(repo, 'add', '-f', f);
    git(repo, 'commit', '-q', '--no-verify', '-m', `bench: helper ${i + 1} in ${f}`);
  });
  git(repo, 'branch', '-q', '--set-upstream-to=main');
}

/** A tiny repository with just the series' files at their base contents. */
function smallRepo(big, files) {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-bench-small-'));
  git(dir, 'init', '-q', '-b', 'main');
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), git(big, 'show', `bench-base:${f}`));
  }
  git(dir, 'add', '-A', '.');
  git(dir, 'commit', '-q', '--no-verify', '-m', 'base');
  git(dir, 'tag', 'bench-base');
  return dir;
}

function presendStats(out) {
  try {
    const r = JSON.parse(out);
    return { findings: r.findings.filter((f) => !f.suppressed).length, bitlock: r.findings.filter((f) => f.ruleId === 'bitlock-unlock-without-release').length, ms: r.stats.ms, files: r.stats.files, functions: r.stats.functions };
  } catch {
    return null;
  }
}

ensureBigRepo();
const files = seriesFiles(bigRepo);
buildSeries(bigRepo, files);
const small = smallRepo(bigRepo, files);
buildSeries(small, files);

/** presend's own I/O, in process: the range read (git log -p + diff parse) and every whole file
 *  the analysis could ask for (each touched file after its patch and before it), from git objects. */
async function gitIo(repo) {
  const { seriesFromGitRange } = await import(join(ROOT, 'build', 'ingest', 'git-range.js'));
  const wall = [];
  const cpu = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    const t0 = process.hrtime.bigint();
    const { series, sources } = await seriesFromGitRange(repo, {});
    for (const p of series.patches) {
      for (const f of p.files) {
        if (f.newPath) bytes += (await sources.file(f.newPath, p.index))?.length ?? 0;
        if (f.oldPath) bytes += (await sources.file(f.oldPath, p.index - 1))?.length ?? 0;
      }
    }
    await sources.dispose();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpu.push(cpuMs() - c0);
  }
  return { ...stats(wall, cpu), mb: bytes / runs / 2 ** 20 };
}

const ioBig = await gitIo(bigRepo);
const ioSmall = await gitIo(small);
const treeFiles = git(bigRepo, 'ls-files').split('\n').filter(Boolean).length;
const changed = git(bigRepo, 'diff', '--shortstat', 'main..bench-series').trim();
const startup = timed(process.execPath, [BIN, '--version'], ROOT);
const bigAll = timed(process.execPath, [BIN, 'presend', '--format', 'json'], bigRepo);
const bigOne = timed(process.execPath, [BIN, 'presend', '--format', 'json', 'HEAD~1..HEAD'], bigRepo);
const smallAll = timed(process.execPath, [BIN, 'presend', '--format', 'json'], small);
const s = presendStats(bigAll.stdout);
const s1 = presendStats(bigOne.stdout);
const ss = presendStats(smallAll.stdout);

const ms = (t) => `${Math.round(t.median)} ms (min ${Math.round(t.min)}, max ${Math.round(t.max)})`;
const cpu = (t) => `${Math.round(t.cpu)} ms`;
console.log(`# lockreview presend benchmark

${new Date().toISOString()} · node ${process.version} · ${cpus().length} cores · load ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ')} · median of ${runs} runs

big repository:   ${bigRepo} (${treeFiles} files)
series:           ${commits} commits, ${changed}; one adds a bit lock released by WRITE_ONCE()
small repository: ${small} (${files.length} files: only those the series touches)

| run | CPU (user+sys) | wall time | analysis (stats.ms, wall) | files / functions analysed | findings |
|---|---|---|---|---|---|
| node start-up (lockreview --version) | ${cpu(startup)} | ${ms(startup)} | | | |
| presend, ${commits} commits, big repository | ${cpu(bigAll)} | ${ms(bigAll)} | ${s?.ms ?? '?'} ms | ${s?.files ?? '?'} / ${s?.functions ?? '?'} | ${s?.findings ?? '?'} (bit-lock release: ${s?.bitlock ?? '?'}) |
| presend, last commit only, big repository | ${cpu(bigOne)} | ${ms(bigOne)} | ${s1?.ms ?? '?'} ms | ${s1?.files ?? '?'} / ${s1?.functions ?? '?'} | ${s1?.findings ?? '?'} |
| presend, ${commits} commits, small repository | ${cpu(smallAll)} | ${ms(smallAll)} | ${ss?.ms ?? '?'} ms | ${ss?.files ?? '?'} / ${ss?.functions ?? '?'} | ${ss?.findings ?? '?'} |
| git I/O only (range + ${ioBig.mb.toFixed(1)} MB of whole files), big repository | ${cpu(ioBig)} | ${ms(ioBig)} | | | |
| git I/O only, small repository | ${cpu(ioSmall)} | ${ms(ioSmall)} | | | |

big / small (same series), CPU: presend ${(bigAll.cpu / smallAll.cpu).toFixed(2)}x, git I/O ${(ioBig.cpu / ioSmall.cpu).toFixed(2)}x — the tree's size ${Math.abs(bigAll.cpu / smallAll.cpu - 1) < 0.25 ? 'does not' : 'DOES'} decide the cost.
The rest of presend's time is start-up, the knowledge base and the analysis of the touched files.
exit status: ${bigAll.status} (1 = the bit-lock release was found)${bigAll.status > 1 ? `\n${bigAll.stderr}` : ''}`);
