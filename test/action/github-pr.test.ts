// PR -> Series: REST pages read to the end, one patch per commit on a straight history, the
// combined diff otherwise, exact post-image lines, and whole files from git objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { parseHunks, readPullRequest, seriesFromPullRequest, checkoutSources, mergeBaseIn, isLinear } from '../../src/ingest/github-pr.js';
import { createGitHubClient } from '../../src/post/github.js';
import { FakeGitHub, type FakeCommit } from './fake-github.js';
import { restFiles } from './pr-repo.js';

test('parseHunks: line numbers on both sides, a lost leading space, "\\ No newline"', () => {
  const patch = ['@@ -3,4 +3,5 @@ static int f(void)', ' a', '-b', '+B', '+C', '', ' d', '@@ -20 +21,2 @@', '-x', '+y', '+z', '\\ No newline at end of file'].join('\n');
  const [h1, h2] = parseHunks(patch);
  assert.equal(h1!.header, 'static int f(void)');
  assert.deepEqual(
    h1!.lines.map((l) => [l.kind, l.oldLine, l.newLine, l.text]),
    [
      ['ctx', 3, 3, 'a'],
      ['del', 4, null, 'b'],
      ['add', null, 4, 'B'],
      ['add', null, 5, 'C'],
      ['ctx', 5, 6, ''],
      ['ctx', 6, 7, 'd'],
    ],
  );
  assert.equal(h2!.oldLines, 1);
  assert.deepEqual(
    h2!.lines.map((l) => [l.kind, l.oldLine, l.newLine]),
    [
      ['del', 20, null],
      ['add', null, 21],
      ['add', null, 22],
    ],
  );
});

async function commit(git: SimpleGit, dir: string, path: string, text: string, message: string): Promise<string> {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
  await git.add(path);
  await git.commit(message);
  return (await git.revparse(['HEAD'])).trim();
}

async function repoWithHistory() {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-pr-'));
  const git = simpleGit(dir);
  await git.init(['-q', '-b', 'main']);
  await git.addConfig('user.name', 'T');
  await git.addConfig('user.email', 't@example.org');
  const lines = (n: number, extra: Record<number, string> = {}) => Array.from({ length: n }, (_, i) => extra[i + 1] ?? `int v${i + 1};`).join('\n') + '\n';
  const base = await commit(git, dir, 'lib/a.c', lines(30), 'base');
  await git.checkout(['-q', '-b', 'topic']);
  const c1 = await commit(git, dir, 'lib/a.c', lines(30, { 10: 'int ten = 10;' }), 'lib: one\n\nfirst change');
  const c2 = await commit(git, dir, 'lib/b.c', 'int b;\n', 'lib: two');
  const c3 = await commit(git, dir, 'lib/a.c', lines(30, { 10: 'int ten = 10;', 25: 'int twentyfive;' }), 'lib: three');
  return { dir, git, base, shas: [c1, c2, c3] };
}

async function fakeFor(git: SimpleGit, base: string, shas: string[], parents: string[][]): Promise<FakeGitHub> {
  const commits: FakeCommit[] = [];
  for (let i = 0; i < shas.length; i++) {
    const message = (await git.raw(['log', '-1', '--format=%B', shas[i]!])).trimEnd();
    commits.push({ sha: shas[i]!, parents: parents[i]!, message, files: await restFiles(git, parents[i]![0]!, shas[i]!) });
  }
  return new FakeGitHub({ owner: 'o', repo: 'r', number: 9, commits, files: await restFiles(git, base, shas.at(-1)!) });
}

test('a straight PR history becomes one patch per commit, read over several REST pages; files come from git per patch', async () => {
  const { dir, git, base, shas } = await repoWithHistory();
  const gh = await fakeFor(git, base, shas, [[base], [shas[0]!], [shas[1]!]]);
  gh.pageSize = 1;
  const url = await gh.start();
  try {
    const client = createGitHubClient({ token: 't', baseUrl: url });
    const pr = { owner: 'o', repo: 'r', number: 9 };
    const data = await readPullRequest(client, pr, { title: 'lib: things', body: 'cover', baseSha: base, headSha: shas[2]! });
    assert.deepEqual(gh.requestsTo('GET', /\/pulls\/9\/commits$/).map((r) => r.query.get('page') ?? '1'), ['1', '2', '3'], 'every page of commits read');
    assert.equal(data.commits.length, 3);
    assert.ok(isLinear(data.commits));
    const mergeBase = await mergeBaseIn(dir, base, shas[2]!);
    assert.equal(mergeBase, base);
    const { series, linear, commentable } = seriesFromPullRequest(data, mergeBase!);
    assert.equal(linear, true);
    assert.deepEqual(series.patches.map((p) => [p.index, p.total, p.subject, p.commit]), [
      [1, 3, 'lib: one', shas[0]],
      [2, 3, 'lib: two', shas[1]],
      [3, 3, 'lib: three', shas[2]],
    ]);
    assert.equal(series.patches[0]!.description, 'first change');
    assert.equal(series.patches[1]!.files[0]!.status, 'added');
    const added = series.patches[2]!.files[0]!.hunks.flatMap((h) => h.lines).filter((l) => l.kind === 'add');
    assert.deepEqual(added.map((l) => [l.newLine, l.text]), [[25, 'int twentyfive;']]);
    assert.match(series.patches[2]!.diffText, /^diff --git a\/lib\/a\.c b\/lib\/a\.c\n--- a\/lib\/a\.c\n\+\+\+ b\/lib\/a\.c\n@@ /);
    // Commentable lines: the combined diff's new-side hunk lines (3 lines of context each side).
    assert.deepEqual([...commentable.get('lib/a.c')!].sort((a, b) => a - b), [7, 8, 9, 10, 11, 12, 13, 22, 23, 24, 25, 26, 27, 28]);
    assert.deepEqual([...commentable.get('lib/b.c')!], [1]);

    const sources = checkoutSources(dir, mergeBase!, shas);
    assert.equal((await sources.file('lib/a.c', 0))!.split('\n')[9], 'int v10;');
    assert.equal((await sources.file('lib/a.c', 1))!.split('\n')[9], 'int ten = 10;');
    assert.equal(await sources.file('lib/b.c', 1), null, 'lib/b.c does not exist after patch 1');
    assert.equal(await sources.file('lib/b.c', 2), 'int b;\n');
    assert.equal((await sources.file('lib/a.c', 3))!.split('\n')[24], 'int twentyfive;');
  } finally {
    await gh.stop();
  }
});

test('a PR with a merge commit is reviewed as its combined diff, one patch', async () => {
  const { dir, git, base, shas } = await repoWithHistory();
  await git.checkout(['-q', 'main']);
  const side = await commit(git, dir, 'lib/c.c', 'int c;\n', 'main moves on');
  await git.checkout(['-q', 'topic']);
  await git.merge(['-q', '--no-edit', 'main']);
  const merge = (await git.revparse(['HEAD'])).trim();
  const gh = await fakeFor(git, base, [...shas, merge], [[base], [shas[0]!], [shas[1]!], [shas[2]!, side]]);
  gh.pull.files = await restFiles(git, side, merge); // GitHub diffs against the merge base with main's head
  const url = await gh.start();
  try {
    const client = createGitHubClient({ token: 't', baseUrl: url });
    const data = await readPullRequest(client, { owner: 'o', repo: 'r', number: 9 }, { title: 'lib: things', body: null, baseSha: side, headSha: merge });
    assert.equal(gh.requestsTo('GET', /\/commits\/[0-9a-f]{40}$/).length, 0, 'no per-commit diffs needed');
    const mergeBase = (await mergeBaseIn(dir, side, merge))!;
    const { series, linear, notes } = seriesFromPullRequest(data, mergeBase);
    assert.equal(linear, false);
    assert.equal(series.patches.length, 1);
    assert.equal(series.patches[0]!.subject, 'lib: things');
    assert.equal(series.patches[0]!.commit, merge);
    assert.deepEqual(series.patches[0]!.files.map((f) => f.newPath).sort(), ['lib/a.c', 'lib/b.c']);
    assert.match(notes[0]!, /not a straight line/);
  } finally {
    await gh.stop();
  }
});
