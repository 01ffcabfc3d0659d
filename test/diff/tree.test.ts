// --tree: the series is applied in a temporary worktree of a real repository created here; the
// user's work tree, index, HEAD, branches and stash stay exactly as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ingestInputs } from '../../src/ingest/index.js';
import { openTree } from '../../src/diff/tree.js';
import { InputError } from '../../src/errors.js';
import { tempDir, writeTemp } from '../ingest/builders.js';

async function repo(): Promise<{ dir: string; git: SimpleGit }> {
  const dir = tempDir('lockreview-tree-test-');
  const git = simpleGit(dir);
  await git.init();
  await git.addConfig('user.name', 'T');
  await git.addConfig('user.email', 't@example.org');
  return { dir, git };
}

/** Everything of the user's repository that must not change (the worktree list only changes while a
 *  session is open, so it is compared after dispose). */
async function snapshot(git: SimpleGit, worktrees = true): Promise<string> {
  const parts = await Promise.all([
    git.raw(['status', '--porcelain', '--untracked-files=all']),
    git.raw(['rev-parse', 'HEAD']),
    git.raw(['branch', '--list', '--all', '-v']),
    git.raw(['stash', 'list']),
    git.raw(['config', '--list', '--local']),
    worktrees ? git.raw(['worktree', 'list', '--porcelain']) : '',
    git.raw(['symbolic-ref', '-q', 'HEAD']).catch(() => 'detached'),
  ]);
  return parts.join('\n--\n');
}

const C_FILE = (lines: string[]) => lines.join('\n') + '\n';

test('series applied at base-commit; whole files at each patch; user repo untouched', async () => {
  const { dir, git } = await repo();
  const v0 = ['#include <lock.h>', '', 'static void f(void)', '{', '\tspin_lock(&l);', '\tspin_unlock(&l);', '}'];
  writeFileSync(join(dir, 'f.c'), C_FILE(v0));
  writeFileSync(join(dir, 'untouched.c'), 'int u;\n');
  await git.add(['f.c', 'untouched.c']).commit('base');
  const base = (await git.revparse(['HEAD'])).trim();
  // Build the series on a branch, format it, then move main on so HEAD != base.
  await git.checkoutLocalBranch('topic');
  const v1 = [...v0.slice(0, 5), '\tcount++;', ...v0.slice(5)];
  writeFileSync(join(dir, 'f.c'), C_FILE(v1));
  await git.add('f.c').commit('f: count');
  writeFileSync(join(dir, 'g.c'), C_FILE(['int g;']));
  await git.add('g.c').commit('g: add');
  const out = join(tempDir(), 'out');
  await git.raw(['format-patch', '-q', '--cover-letter', `--base=${base}`, '-o', out, `${base}..topic`]);
  await git.checkout('master').catch(() => git.checkout('main'));
  writeFileSync(join(dir, 'f.c'), C_FILE(['/* moved on */', ...v0]));
  await git.add('f.c').commit('main moves on');
  // The user has local changes, an untracked file and a stash: all must survive.
  writeFileSync(join(dir, 'f.c'), C_FILE(['/* dirty */', ...v0]));
  writeFileSync(join(dir, 'untracked.txt'), 'u\n');
  writeFileSync(join(dir, 'g.c'), 'stashed\n');
  await git.add('g.c');
  await git.stash(['push', '-m', 'mine', '--', 'g.c']);
  const before = await snapshot(git);
  const beforeNoWt = await snapshot(git, false);

  const { series } = await ingestInputs([out]);
  assert.equal(series[0]!.baseCommit, base);
  const t = await openTree(dir, series[0]!);
  try {
    assert.deepEqual(t.applied, [true, true]);
    assert.ok(t.notes.includes(`analysed whole files: series applied on ${base.slice(0, 12)}`), t.notes.join('\n'));
    assert.equal(await t.file('f.c', 0), C_FILE(v0));
    assert.equal(await t.file('f.c', 1), C_FILE(v1));
    assert.equal(await t.file('g.c', 1), null);
    assert.equal(await t.file('g.c', 2), 'int g;\n');
    assert.equal(await t.file('f.c', 3), null);
    // Files the series does not touch are readable but not checked out (sparse worktree).
    assert.equal(await t.file('untouched.c', 2), 'int u;\n');
    const wt = (await git.raw(['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9)).find((p) => p !== dir)!;
    assert.ok(existsSync(join(wt, 'g.c')) && !existsSync(join(wt, 'untouched.c')), wt);
    assert.equal(await snapshot(git, false), beforeNoWt);
  } finally {
    await t.dispose();
  }
  assert.equal(await snapshot(git), before);
  assert.equal((await git.raw(['worktree', 'list'])).trim().split('\n').length, 1);
});

test('a second patch that does not apply: applied=[true,false], a note, whole files for patch 1', async () => {
  const { dir, git } = await repo();
  writeFileSync(join(dir, 'a.c'), C_FILE(['int a;', 'int b;', 'int c;']));
  await git.add('a.c').commit('base');
  const head = (await git.revparse(['HEAD'])).trim();
  const before = await snapshot(git);
  const p1 = ['diff --git a/a.c b/a.c', '--- a/a.c', '+++ b/a.c', '@@ -1,3 +1,4 @@', ' int a;', '+int a2;', ' int b;', ' int c;', ''].join('\n');
  const p2 = ['diff --git a/a.c b/a.c', '--- a/a.c', '+++ b/a.c', '@@ -1,3 +1,3 @@', ' int zzz;', '-int yyy;', '+int xxx;', ' int www;', ''].join('\n');
  const mk = (i: number, d: string) => `From: T <t@example.org>\nSubject: [PATCH ${i}/2] a: step ${i}\nMessage-ID: <s${i}@x>\n${i > 1 ? 'In-Reply-To: <s1@x>\n' : ''}Date: Mon, 4 Mar 2024 10:00:0${i} +0000\n\nstep ${i}\n---\n${d}-- \n2.43.0\n`;
  const mboxText = [mk(1, p1), mk(2, p2)].map((m) => `From mboxrd@z Thu Jan  1 00:00:00 1970\n${m}`).join('\n');
  const { series } = await ingestInputs([writeTemp('s.mbox', mboxText)]);
  const t = await openTree(dir, series[0]!);
  try {
    assert.deepEqual(t.applied, [true, false]);
    assert.ok(t.notes.some((n) => n.startsWith(`patch 2/2 does not apply to ${head.slice(0, 12)}: patch failed: a.c:1`)), t.notes.join("\n"));
    assert.equal(await t.file('a.c', 1), C_FILE(['int a;', 'int a2;', 'int b;', 'int c;']));
    assert.equal(await t.file('a.c', 2), null);
  } finally {
    await t.dispose();
  }
  assert.equal(await snapshot(git), before);
});

test('unknown base-commit falls back to HEAD with a note; not a work tree is an InputError', async () => {
  const { dir, git } = await repo();
  writeFileSync(join(dir, 'a.c'), 'x\n');
  await git.add('a.c').commit('base');
  const d = ['diff --git a/a.c b/a.c', '--- a/a.c', '+++ b/a.c', '@@ -1 +1 @@', '-x', '+y', ''].join('\n');
  const { series } = await ingestInputs([writeTemp('p.diff', d)]);
  series[0]!.baseCommit = 'deadbeef'.repeat(5);
  const t = await openTree(dir, series[0]!);
  assert.deepEqual(t.applied, [true]);
  assert.ok(t.notes.some((n) => /base-commit deadbeefdead is not in .*; applying on HEAD/.test(n)));
  assert.equal(await t.file('a.c', 1), 'y\n');
  await t.dispose();
  await t.dispose(); // idempotent
  const notRepo = tempDir();
  await assert.rejects(openTree(notRepo, series[0]!), (e: unknown) => e instanceof InputError && e.input === notRepo && /not a git work tree/.test(e.message));
  assert.ok(!existsSync(join(notRepo, '.git')));
});

test("the user's hooks do not run for the temporary worktree or its commits", async () => {
  const { dir, git } = await repo();
  writeFileSync(join(dir, 'a.c'), 'x\n');
  await git.add('a.c').commit('base');
  const marker = join(tempDir(), 'hook-ran');
  for (const hook of ['post-checkout', 'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'commit-msg', 'post-commit']) {
    writeFileSync(join(dir, '.git', 'hooks', hook), `#!/bin/sh\necho ${hook} >> '${marker}'\n`, { mode: 0o755 });
  }
  const d = ['diff --git a/a.c b/a.c', 'index 587be6b..975fbec 100644', '--- a/a.c', '+++ b/a.c', '@@ -1 +1 @@', '-x', '+y', ''].join('\n');
  const { series } = await ingestInputs([writeTemp('p.diff', d)]);
  const t = await openTree(dir, series[0]!);
  assert.deepEqual(t.applied, [true]);
  await t.dispose();
  assert.ok(!existsSync(marker), existsSync(marker) ? readFileSync(marker, 'utf8') : '');
});
