// Shared helpers of the bench/ scripts: locate (or install) the peer inputs from Debian's
// linux-source-6.12, build series mboxes from the corpus, time commands (median of runs) and
// measure peak RSS. Scripts, not tests: nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = join(ROOT, '..', 'shared');
export const LINUX = process.env.LINUX_SRC || '/usr/src/linux-source-6.12';
export const OUT = join(ROOT, 'bench', 'results', 'raw');
export const BIN = join(ROOT, 'bin', 'lockreview.js');

/** checkpatch.pl and the C trees the scan uses; installs Debian's package and extracts only what is needed. */
export function ensureLinuxSource(parts = ['scripts', 'virt', 'arch/x86/kvm', 'kernel', 'mm', 'include', 'Documentation/dev-tools']) {
  if (parts.every((p) => existsSync(join(LINUX, p)))) return LINUX;
  const tarball = '/usr/src/linux-source-6.12.tar.xz';
  if (!existsSync(tarball)) {
    run('apt-get', ['update', '-qq']);
    const r = run('apt-get', ['install', '-y', '-qq', 'linux-source-6.12'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`cannot install linux-source-6.12: ${r.stderr}`);
  }
  const members = parts.map((p) => `linux-source-6.12/${p}`);
  const r = run('tar', ['xf', tarball, '-C', '/usr/src', ...members]);
  if (r.status !== 0) throw new Error(`cannot extract ${members.join(' ')}: ${r.stderr}`);
  return LINUX;
}

export function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 << 20, ...opts });
}

/** Wall time of a command, median and min of `runs` runs, in ms. */
export function timeCommand(cmd, args, runs = 5, opts = {}) {
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = run(cmd, args, opts);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], status: last.status, stdout: last.stdout, stderr: last.stderr };
}

/** Peak resident set size (MB) of one run, from GNU time's %M. */
export function peakRssMb(cmd, args, opts = {}) {
  if (!existsSync('/usr/bin/time')) return null;
  const r = run('/usr/bin/time', ['-f', '%M', cmd, ...args], opts);
  const kb = Number((r.stderr.trim().split('\n').pop() || '').trim());
  return Number.isFinite(kb) ? kb / 1024 : null;
}

/** The distinct corpus messages and the examples' patch mails (cover letters left out)
 *  (the bug-carrying positives are the fixes reversed by score.mjs; for timing, the messages as
 *  posted are the same amount of work). */
export function corpusMessages() {
  const dir = join(SHARED, 'corpus');
  const corpus = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(dir, f), 'latin1'));
  const examplesDir = join(ROOT, 'examples');
  const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.mbox')).sort().flatMap((f) =>
    readFileSync(join(examplesDir, f), 'latin1')
      .split(/^(?=From \S+ Mon Sep 17 00:00:00 2001$)/m)
      .filter((m) => /^diff --git /m.test(m)),
  );
  // A corpus pair (the fix and its reversal) is one message posted once: keep one copy.
  return [...new Set([...corpus, ...examples])];
}

/** `copy` > 0: the message's diff names its files under copy<N>/, so that a series that repeats
 *  a message still holds distinct patches (lockreview analyses a unit that repeats an earlier one,
 *  e.g. v1 and v2 of a patch in one thread, once; the benchmark must not profit from that). */
function relocate(raw, copy) {
  if (!copy) return raw;
  const dir = `copy${copy}/`;
  return raw
    .replace(/^diff --git a\/(\S+) b\/(\S+)$/gm, `diff --git a/${dir}$1 b/${dir}$2`)
    .replace(/^(---|\+\+\+) ([ab])\/(\S+)/gm, `$1 $2/${dir}$3`);
}

/** A threaded n-patch mbox: corpus messages re-subjected as [PATCH i/n], repeated as needed. */
export function buildSeriesMbox(n, name) {
  mkdirSync(OUT, { recursive: true });
  const msgs = corpusMessages();
  const cover = `From lockreview-bench Mon Sep 17 00:00:00 2001\nFrom: Bench <bench@example.org>\nSubject: [PATCH 0/${n}] bench series\nMessage-ID: <bench-${n}-0@example.org>\nDate: Sun, 22 Nov 2026 00:00:00 +0000\n\nA series assembled from the corpus for benchmarking.\n\n`;
  const parts = [cover];
  for (let i = 1; i <= n; i++) {
    const raw = relocate(msgs[(i - 1) % msgs.length].replace(/\r\n/g, '\n'), Math.floor((i - 1) / msgs.length));
    const split = raw.indexOf('\n\n');
    let head = raw.slice(0, split);
    const body = raw.slice(split + 2);
    head = head
      .replace(/^From .*\n/, '')
      .replace(/^Subject:.*(\n[ \t].*)*/im, (s) => `Subject: [PATCH ${i}/${n}] ${s.replace(/^Subject:\s*/i, '').replace(/\n[ \t]+/g, ' ').replace(/^(\[[^\]]*\]\s*)+/, '')}`)
      .replace(/^Message-ID:.*$/im, `Message-ID: <bench-${n}-${i}@example.org>`)
      .replace(/^(In-Reply-To|References):.*(\n[ \t].*)*\n?/gim, '');
    head += `\nIn-Reply-To: <bench-${n}-0@example.org>\nReferences: <bench-${n}-0@example.org>`;
    parts.push(`From lockreview-bench Mon Sep 17 00:00:00 2001\n${head}\n\n${body.replace(/^(>*From )/gm, '>$1')}\n`);
  }
  const path = join(OUT, name);
  writeFileSync(path, parts.join(''), 'latin1');
  return path;
}

export function countLines(files) {
  let n = 0;
  for (const f of files) n += readFileSync(f, 'latin1').split('\n').length;
  return n;
}

export function cFiles(dirs) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(name)) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

export function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, j) => '| ' + r.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |' + (j === 0 ? '\n|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|' : '')).join('\n');
}
