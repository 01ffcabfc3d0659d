// The blob source against real repositories built here: every content it serves is the file git
// itself has at that point of the series (compared with `git show <commit>:<path>`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ingestInputs } from '../../src/ingest/index.js';
import { openBlobSource, gitRepositoryAround } from '../../src/diff/index.js';
import { applyHunks, gitBlobId } from '../../src/diff/blob-source.js';
import { parseDiff } from '../../src/diff/index.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `int ${tag}_${i};`).join('\n') + '\n';

test('the index line gives oldBlob/newBlob; zeros and absence are null', () => {
  const { files } = parseDiff(
    'diff --git a/a.c b/a.c\nindex 1a2B3c4..5d6e7f8 100644\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-x\n+y\n' +
      'diff --git a/n.c b/n.c\nnew file mode 100644\nindex 0000000..e69de29\n',
    { input: 't' },
  );
  assert.deepEqual(files.map((f) => [f.oldBlob, f.newBlob]), [['1a2b3c4', '5d6e7f8'], [null, 'e69de29']]);
  const plain = parseDiff('--- a/p.c\n+++ b/p.c\n@@ -1 +1 @@\n-x\n+y\n', { input: 't' }).files;
  assert.deepEqual(plain.map((f) => [f.oldBlob, f.newBlob]), [[null, null]]);
});

test('contents after each patch equal the commits: modify, add then modify, rename, delete; in memory and from objects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lr-blobsrc-'));
  git(dir, 'init', '-q');
  writeFileSync(join(dir, 'a.c'), lines(30, 'a'));
  writeFileSync(join(dir, 'gone.c'), lines(5, 'g'));
  writeFileSync(join(dir, 'old.h'), lines(12, 'h'));
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  const steps: Array<() => void> = [
    () => { writeFileSync(join(dir, 'a.c'), lines(30, 'a').replace('int a_3;', 'int a_3 = 3;')); writeFileSync(join(dir, 'new.c'), 'int n;\n'); },
    () => { writeFileSync(join(dir, 'new.c'), 'int n;\nint m;'); rmSync(join(dir, 'gone.c')); }, // no newline at the end
    () => { renameSync(join(dir, 'old.h'), join(dir, 'new.h')); writeFileSync(join(dir, 'a.c'), lines(30, 'a').replace('int a_3;', 'int a_3 = 3;').replace('int a_29;\n', 'int a_29;\nint a_30;\n')); },
  ];
  const commits: string[] = [];
  steps.forEach((step, i) => {
    step();
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `step ${i + 1}`);
    commits.push(git(dir, 'rev-parse', 'HEAD').trim());
  });
  const mbox = join(mkdtempSync(join(tmpdir(), 'lr-blobsrc-out-')), 's.mbox');
  writeFileSync(mbox, git(dir, 'format-patch', '-M', '--stdout', 'HEAD~3'));
  const base = git(dir, 'rev-parse', 'HEAD~3').trim();
  git(dir, 'reset', '-q', '--hard', 'HEAD~3');
  const clone = join(mkdtempSync(join(tmpdir(), 'lr-blobsrc-clone-')), 'c');
  git(tmpdir(), 'clone', '-q', '--no-local', dir, clone); // base objects only
  const series = (await ingestInputs([mbox])).series[0]!;
  const show = (rev: string, path: string) => {
    try {
      return execFileSync('git', ['show', `${rev}:${path}`], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  };
  for (const repo of [dir, clone]) {
    const declined: string[] = [];
    const src = await openBlobSource(repo, series, { need: 'every-file', declined });
    assert.ok(src, `${repo}: ${declined.join('; ')}`);
    assert.equal(src.served, src.requested);
    const revs = [base, ...commits];
    for (const path of ['a.c', 'new.c', 'gone.c', 'old.h', 'new.h']) {
      for (let k = 0; k <= 3; k++) {
        assert.equal(await src.file(path, k), show(revs[k]!, path), `${repo} ${path} after patch ${k}`);
      }
    }
    assert.match(src.description, /^git objects in .* \(pre-image blobs of the series\)$/);
    await src.dispose();
  }
});

test('applyHunks refuses a context line that differs, and a result whose blob id differs', () => {
  const before = Buffer.from('a\nb\nc\n');
  const after = Buffer.from('a\nB\nc\n');
  const hunk = { oldStart: 1, oldLines: 3, newStart: 1, newLines: 3, header: '', lines: [
    { kind: 'ctx' as const, text: 'a', oldLine: 1, newLine: 1 },
    { kind: 'del' as const, text: 'b', oldLine: 2, newLine: null },
    { kind: 'add' as const, text: 'B', oldLine: null, newLine: 2 },
    { kind: 'ctx' as const, text: 'c', oldLine: 3, newLine: 3 },
  ] };
  const id = gitBlobId(after);
  assert.equal(id, execFileSync('git', ['hash-object', '--stdin'], { input: after, encoding: 'utf8' }).trim());
  assert.deepEqual(applyHunks(before, [hunk], id.slice(0, 7)), after);
  assert.match(String(applyHunks(Buffer.from('a\nx\nc\n'), [hunk], id.slice(0, 7))), /does not match the pre-image at line 2/);
  assert.match(String(applyHunks(before, [hunk], 'deadbee')), /do not give the post-image deadbee/);
});

test('an abbreviated pre-image id that names two blobs: the one the hunks turn into the post-image is chosen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lr-blobsrc-amb-'));
  git(dir, 'init', '-q');
  const pre = 'int x;\nint y;\n';
  writeFileSync(join(dir, 'f.c'), pre);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  const preId = gitBlobId(Buffer.from(pre));
  // A second blob sharing the first 4 hex digits (git's shortest abbreviation): found by search.
  let twin = '';
  for (let i = 0; ; i++) {
    const text = `/* twin ${i} */\n`;
    if (gitBlobId(Buffer.from(text)).startsWith(preId.slice(0, 4))) {
      twin = text;
      break;
    }
  }
  execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: twin });
  const post = 'int x;\nint z;\n';
  const diff = `diff --git a/f.c b/f.c\nindex ${preId.slice(0, 4)}..${gitBlobId(Buffer.from(post)).slice(0, 7)} 100644\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n int x;\n-int y;\n+int z;\n`;
  const mbox = join(mkdtempSync(join(tmpdir(), 'lr-blobsrc-amb-out-')), 'p.patch');
  writeFileSync(mbox, `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: T <t@example.org>\nSubject: [PATCH] f\n\n---\n${diff}`);
  const series = (await ingestInputs([mbox])).series[0]!;
  assert.equal(execFileSync('git', ['cat-file', '--batch-check'], { cwd: dir, input: `${preId.slice(0, 4)}\n`, encoding: 'utf8' }).trim(), `${preId.slice(0, 4)} ambiguous`);
  const src = await openBlobSource(dir, series, { need: 'every-file' });
  assert.ok(src);
  assert.equal(await src.file('f.c', 0), pre);
  assert.equal(await src.file('f.c', 1), post);
});

test('no repository around a directory outside git; the top of one from a subdirectory', () => {
  const outside = mkdtempSync(join(tmpdir(), 'lr-blobsrc-none-'));
  assert.equal(gitRepositoryAround(outside), null);
  const dir = mkdtempSync(join(tmpdir(), 'lr-blobsrc-top-'));
  git(dir, 'init', '-q');
  execFileSync('mkdir', ['-p', join(dir, 'a', 'b')]);
  assert.equal(gitRepositoryAround(join(dir, 'a', 'b')), dir);
});
