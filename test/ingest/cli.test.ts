// The check door over real inputs: exit status, JSON with series/patches filled in, stdin, bad
// input as one line on stderr with exit 2, and --tree against a real repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { runCli, SHARED } from '../helpers/cli.js';
import { diffFor, mail, patchBody, tempDir, writeTemp } from './builders.js';

const EML = join(SHARED, 'corpus', 'srcu-gpiolib-label-sync-srcu-hotpath.eml');

test('check --format json on a corpus .eml: exit 0/1 and the series model in the report', () => {
  const r = runCli(['check', '--format', 'json', EML]);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.series.length, 1);
  const s = report.series[0];
  assert.equal(s.subject, 'gpiolib: fix the speed of descriptor label setting with SRCU');
  assert.match(s.messageId, /@/);
  assert.equal(s.version, 1);
  assert.deepEqual(s.patches.map((p: { index: number; total: number; files: string[] }) => [p.index, p.total, p.files]), [
    [1, 1, ['drivers/gpio/gpiolib.c', 'drivers/gpio/gpiolib.h']],
  ]);
  assert.ok(Array.isArray(report.findings));
  assert.equal(report.stats.patches, 1);
});

test('check - reads stdin', () => {
  const text = mail({ subject: '[PATCH] x: stdin', messageId: 'in@x', body: patchBody('x', diffFor('x.c')) });
  const r = runCli(['check', '--format', 'json', '-'], { input: text });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).series[0].patches[0].subject, 'x: stdin');
});

test('bad inputs exit 2 with one line naming the input and nothing on stdout', () => {
  const cases: Array<[string, RegExp]> = [
    ['/nonexistent.mbox', /no such file/],
    [writeTemp('empty.patch', ''), /empty input/],
    [writeTemp('notes.txt', 'hello\n'), /no patch found/],
    [writeTemp('bin.patch', Buffer.from([1, 2, 0, 3])), /binary file/],
    [writeTemp('cut.diff', diffFor('c.c').split('\n').slice(0, 7).join('\n') + '\n'), /truncated or corrupt hunk at c\.c line 5/],
  ];
  for (const [input, re] of cases) {
    const r = runCli(['check', '--format', 'json', input]);
    assert.equal(r.status, 2, `${input}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(input), lines[0]);
    assert.match(lines[0]!, re);
  }
});

test('check --tree applies the series in a temporary worktree and says so', async () => {
  const dir = tempDir();
  const git = simpleGit(dir);
  await git.init();
  await git.addConfig('user.name', 'T');
  await git.addConfig('user.email', 't@example.org');
  const lines = Array.from({ length: 20 }, (_, i) => `\tint a${i + 1};`);
  writeFileSync(join(dir, 'k.c'), lines.join('\n') + '\n');
  await git.add('k.c').commit('base');
  const head = (await git.revparse(['HEAD'])).trim();
  // diffFor('k.c', 10) expects a{7..9} / old_line_10 / b{11..13}: build the file to match.
  const body = lines.map((l, i) => (i + 1 === 10 ? '\told_line_10;' : i + 1 > 10 ? `\tint b${i + 1};` : l));
  writeFileSync(join(dir, 'k.c'), body.join('\n') + '\n');
  await git.add('k.c').commit('shape');
  const shaped = (await git.revparse(['HEAD'])).trim();
  const p = writeTemp('k.eml', mail({ subject: '[PATCH] k: lock', messageId: 'k@x', body: patchBody('k', diffFor('k.c', 10)) }));
  const r = runCli(['check', '--format', 'json', '--tree', dir, p]);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.ok(report.notes.includes(`analysed whole files: series applied on ${shaped.slice(0, 12)}`), report.notes.join('\n'));
  assert.notEqual(head, shaped);
  assert.equal((await git.revparse(['HEAD'])).trim(), shaped);
  assert.equal((await git.raw(['status', '--porcelain'])).trim(), '');
  assert.equal((await git.raw(['worktree', 'list'])).trim().split('\n').length, 1);
  const bad = runCli(['check', '--tree', tempDir(), p]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /not a git work tree/);
});
