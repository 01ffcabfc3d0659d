// Whole files from git objects end to end: real repositories built here, format-patch series, the
// real CLI. `check` run inside a repository that holds the pre-image blobs analyses whole files;
// `check --tree` reads git objects before it falls back to a temporary worktree, and both give the
// same findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

const filler = Array.from({ length: 10 }, (_, i) => `static int filler_${i}(int x)\n{\n\treturn x + ${i};\n}\n`).join('\n');
const counters = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `\to->f${from + i}++;\n`).join('');

/** obj.c: the spin_lock sits eight lines below the function's first statement and eight above
 *  the middle of the locked region, so two hunks at those places leave it in the gap. */
const OBJ = `#include <linux/spinlock.h>\n\n${filler}\nstatic void obj_update(struct obj *o)\n{\n\tint budget = 4;\n${counters(100, 108)}\tspin_lock(&o->lock);\n${counters(0, 16)}\tspin_unlock(&o->lock);\n}\n`;

interface Finding { id: string; ruleId: string; line: number; patch: number; message: string; file: string }
interface Report { findings: Finding[]; notes: string[] }

function report(args: string[], cwd: string): Report {
  const r = runCli(['check', '--format', 'json', '--fail-on', 'never', ...args], { cwd });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}
const brief = (r: Report) => r.findings.map((f) => ({ id: f.id, ruleId: f.ruleId, file: f.file, line: f.line, patch: f.patch, message: f.message }));

/** A repository with obj.c at its base commit; `commits` run on top, are formatted as a series
 *  (`dir/series.mbox`), then the branch is reset to the base (their objects stay in the repository). */
function repoWithSeries(commits: Array<(dir: string) => void>, baseFiles: Record<string, string> = { 'obj.c': OBJ }): { dir: string; mbox: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lr-blob-'));
  git(dir, 'init', '-q');
  for (const [name, text] of Object.entries(baseFiles)) writeFileSync(join(dir, name), text);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  commits.forEach((change, i) => {
    change(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `obj: change ${i + 1}`);
  });
  const mbox = join(mkdtempSync(join(tmpdir(), 'lr-blob-out-')), 'series.mbox');
  writeFileSync(mbox, git(dir, 'format-patch', '--stdout', `HEAD~${commits.length}`));
  git(dir, 'reset', '-q', '--hard', `HEAD~${commits.length}`);
  return { dir, mbox };
}

/** A copy of the repository's base commit only: the series' post-image blobs are not in it. */
function baseOnlyClone(dir: string): string {
  const clone = join(mkdtempSync(join(tmpdir(), 'lr-blob-clone-')), 'r');
  git(tmpdir(), 'clone', '-q', '--no-local', dir, clone);
  return clone;
}

const edit = (dir: string, from: string, to: string) => {
  const path = join(dir, 'obj.c');
  const text = readFileSync(path, 'utf8');
  assert.ok(text.includes(from), from);
  writeFileSync(path, text.replace(from, to));
};

test('check inside the repository sees the spin_lock between two hunks; hunk-only does not', () => {
  const { dir, mbox } = repoWithSeries([(d) => {
    edit(d, '\tint budget = 4;\n', '\tint budget = 8;\n');
    edit(d, '\to->f8++;\n', '\to->f8++;\n\tmsleep(10);\n');
  }]);
  const diff = readFileSync(mbox, 'utf8');
  const sleepLine = OBJ.split('\n').findIndex((l) => l === '\to->f8++;') + 2;
  assert.equal((diff.match(/^@@ /gm) ?? []).length, 2);
  assert.ok(!/^[ +-]\tspin_lock/m.test(diff), 'the spin_lock is in no hunk');

  const outside = report([mbox], tmpdir());
  assert.deepEqual(outside.findings, []);
  assert.ok(outside.notes.some((n) => /hunk-only/.test(n)));
  const optedOut = report(['--hunks-only', mbox], dir);
  assert.deepEqual(optedOut.findings, []);

  for (const repo of [dir, baseOnlyClone(dir)]) {
    const inside = report([mbox], repo);
    assert.deepEqual(inside.findings.map((f) => [f.ruleId, f.patch, f.line]), [['atomic-sleep-in-atomic', 1, sleepLine]], repo);
    assert.match(inside.findings[0]!.message, /msleep\(\) may sleep.*spin_lock\(&o->lock\)/);
    assert.ok(inside.notes.some((n) => n.startsWith('whole-file analysis: the repository at ')), inside.notes.join('\n'));
    assert.ok(inside.notes.some((n) => /analysis: whole files \(git objects in /.test(n)));
  }
  // From a subdirectory of the repository too (the repository around the current directory).
  execFileSync('mkdir', [join(dir, 'sub')]);
  assert.equal(report([mbox], join(dir, 'sub')).findings.length, 1);
});

test('--tree on a 3-patch series: git objects (post-images present or applied in memory) and the worktree agree', () => {
  // Patch 1 adds a locked helper, patch 2 makes it sleep, patch 3 touches the old function.
  const { dir, mbox } = repoWithSeries([
    (d) => writeFileSync(join(d, 'obj.c'), readFileSync(join(d, 'obj.c'), 'utf8') + '\nstatic void obj_reset(struct obj *o)\n{\n\tspin_lock(&o->lock);\n\to->f0 = 0;\n\tspin_unlock(&o->lock);\n}\n'),
    (d) => edit(d, '\to->f0 = 0;\n', '\to->f0 = 0;\n\tschedule();\n'),
    (d) => edit(d, '\tint budget = 4;\n', '\tint budget = 5;\n'),
  ]);
  const stripped = join(mkdtempSync(join(tmpdir(), 'lr-blob-plain-')), 'plain.mbox');
  writeFileSync(stripped, readFileSync(mbox, 'utf8').replace(/^index [0-9a-f]+\.\.[0-9a-f]+.*\n/gm, ''));

  const committed = report(['--tree', dir, mbox], tmpdir());
  const inMemory = report(['--tree', baseOnlyClone(dir), mbox], tmpdir());
  const worktree = report(['--tree', dir, stripped], tmpdir());
  assert.ok(committed.findings.length >= 1);
  assert.deepEqual(committed.findings.map((f) => [f.ruleId, f.patch]), [['atomic-sleep-in-atomic', 2]]);
  assert.deepEqual(brief(inMemory), brief(committed));
  assert.deepEqual(brief(worktree), brief(committed));
  for (const r of [committed, inMemory]) assert.ok(r.notes.some((n) => /analysis: whole files \(git objects in /.test(n)), r.notes.join('\n'));
  // (d) without index lines the worktree applies the series, silently about git objects.
  assert.ok(worktree.notes.some((n) => /analysis: whole files \(git worktree at /.test(n)), worktree.notes.join('\n'));
  assert.ok(!worktree.notes.some((n) => /git objects/.test(n)));
});

test('a pre-image the repository lacks: --tree falls back to the worktree with a note; check stays hunk-only', () => {
  const { mbox } = repoWithSeries([(d) => {
    edit(d, '\tint budget = 4;\n', '\tint budget = 8;\n');
    edit(d, '\to->f8++;\n', '\to->f8++;\n\tmsleep(10);\n');
  }]);
  // Another repository whose obj.c differs from the pre-image by a comment on top: the patch still
  // applies (at an offset), but the blob it names is not there.
  const other = mkdtempSync(join(tmpdir(), 'lr-blob-other-'));
  git(other, 'init', '-q');
  writeFileSync(join(other, 'obj.c'), `/* moved on */\n${OBJ}`);
  git(other, 'add', '.');
  git(other, 'commit', '-q', '-m', 'other base');

  const tree = report(['--tree', other, mbox], tmpdir());
  assert.ok(tree.notes.some((n) => /whole files not read from git objects \(.*pre-image blob [0-9a-f]+ is not in the repository\): applied the series in a worktree/.test(n)), tree.notes.join('\n'));
  assert.ok(tree.notes.some((n) => /analysis: whole files \(git worktree at /.test(n)), tree.notes.join('\n'));
  // Without --tree the repository is only a place to look: it holds nothing, so hunks as before.
  const inside = report([mbox], other);
  assert.deepEqual(inside.findings, []);
  assert.ok(inside.notes.some((n) => /hunk-only/.test(n)));
  assert.ok(!inside.notes.some((n) => /whole-file analysis/.test(n)));
});

test('a hunk whose context does not match the pre-image: that file falls back to hunks, with a note', () => {
  const sleepIn = (d: string, file: string) => {
    const path = join(d, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace('\to->f8++;\n', '\to->f8++;\n\tmsleep(10);\n'));
  };
  const { dir, mbox } = repoWithSeries([(d) => {
    edit(d, '\tint budget = 4;\n', '\tint budget = 8;\n');
    sleepIn(d, 'obj.c');
    sleepIn(d, 'other.c');
  }], { 'obj.c': OBJ, 'other.c': OBJ.replace(/obj_update/g, 'other_update') });
  const clone = baseOnlyClone(dir);
  // obj.c's context is edited by hand while its index line stays, so the in-memory apply must
  // refuse it; other.c is served whole.
  const text = readFileSync(mbox, 'utf8').replace(' \to->f7++;\n', ' \to->f7 += 1;\n');
  assert.notEqual(text, readFileSync(mbox, 'utf8'));
  const doctored = join(mkdtempSync(join(tmpdir(), 'lr-blob-doc-')), 'doctored.mbox');
  writeFileSync(doctored, text);
  const r = report([doctored], clone);
  assert.ok(r.notes.some((n) => /obj\.c: no whole file from git objects: hunk @@ -\d+,\d+ @@ does not match the pre-image at line \d+/.test(n)), r.notes.join('\n'));
  assert.ok(r.notes.some((n) => /obj\.c: whole file not available, analysed the hunks only/.test(n)), r.notes.join('\n'));
  // other.c (served whole) carries the same sleeping call under its lock; obj.c, hunk-only, not.
  assert.deepEqual(r.findings.map((f) => [f.ruleId, f.file]), [['atomic-sleep-in-atomic', 'other.c']]);
});

test('--tree worktree fallback: a hunk git applies at an offset is analysed from the hunks, at the patch\'s own lines', () => {
  const { dir, mbox } = repoWithSeries([(d) => edit(d, '\tspin_lock(&o->lock);\n', '\tspin_lock(&o->lock);\n\tmsleep(10);\n')]);
  // The base moves on after the series was made: five lines above the function shift every hunk.
  writeFileSync(join(dir, 'obj.c'), OBJ.replace('static void obj_update', '/*\n * moved\n * by\n * a\n */\nstatic void obj_update'));
  git(dir, 'commit', '-q', '-am', 'base moves');
  // Without index lines the git-object path declines and the worktree applies the series.
  const noIndex = join(mkdtempSync(join(tmpdir(), 'lr-blob-offset-')), 'series.mbox');
  writeFileSync(noIndex, readFileSync(mbox, 'utf8').replace(/^index .*\n/gm, ''));
  const r = report(['--tree', dir, noIndex], tmpdir());
  assert.ok(r.notes.some((n) => /obj\.c: whole file not available, analysed the hunks only/.test(n)), r.notes.join('\n'));
  const msleepLine = OBJ.split('\n').indexOf('\tspin_lock(&o->lock);') + 2; // the patch's post-image numbering
  assert.deepEqual(r.findings.filter((f) => f.ruleId === 'atomic-sleep-in-atomic').map((f) => [f.file, f.line]), [['obj.c', msleepLine]]);
});
