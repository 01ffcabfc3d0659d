// Input kinds and the door's bad-input contract: each input is auto-detected; every bad one is an
// InputError that names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { ingestInputs, ingestBuffer } from '../../src/ingest/index.js';
import { InputError } from '../../src/errors.js';
import { diffFor, mail, mbox, patchBody, tempDir, writeTemp } from './builders.js';

async function rejects(inputs: string[], re: RegExp, input?: string): Promise<void> {
  await assert.rejects(ingestInputs(inputs), (e: unknown) => {
    assert.ok(e instanceof InputError, `not an InputError: ${e}`);
    assert.match(e.message, re);
    if (input !== undefined) assert.equal(e.input, input);
    return true;
  });
}

const descWithFrom = 'locking: fix the thing\n\nFrom the looks of it this was wrong.\n>From quoted in the original.';

test('mboxrd: >From lines are unquoted once and the separator splits messages', async () => {
  const m1 = mail({ subject: '[PATCH 1/2] a: fix', messageId: 'p1@x', body: patchBody(descWithFrom, diffFor('a.c', 20)) });
  const m2 = mail({ subject: '[PATCH 2/2] b: fix', messageId: 'p2@x', inReplyTo: 'p1@x', references: ['p1@x'], body: patchBody('b', diffFor('b.c', 30)) });
  const p = writeTemp('t.mbox', mbox([m1, m2], 'mboxrd'));
  const r = await ingestInputs([p]);
  assert.equal(r.series.length, 1);
  const [a, b] = r.series[0]!.patches;
  assert.equal(a!.description.includes('\nFrom the looks of it'), true);
  assert.equal(a!.description.includes('\n>From quoted in the original.'), true);
  assert.equal(b!.files[0]!.newPath, 'b.c');
  assert.equal(b!.files[0]!.hunks[0]!.lines.find((l) => l.kind === 'add')!.newLine, 30);
});

test('mboxo: a quoted >From line is unquoted; messages still split', async () => {
  const m1 = mail({ subject: '[PATCH] a: fix', messageId: 'o1@x', body: patchBody(descWithFrom.split('\n>From')[0]!, diffFor('a.c', 20)) });
  const m2 = mail({ subject: 'Re: [PATCH] a: fix', messageId: 'o2@x', inReplyTo: 'o1@x', body: 'Looks good.\n\nReviewed-by: Bo <bo@x>\n' });
  const r = await ingestInputs([writeTemp('o.mbox', mbox([m1, m2], 'mboxo'))]);
  assert.equal(r.series.length, 1);
  assert.match(r.series[0]!.patches[0]!.description, /\nFrom the looks of it/);
  assert.ok(r.notes.some((n) => /skipped 1 mail without a patch/.test(n)));
});

test('gzipped mbox (lore t.mbox.gz) is detected by its magic bytes, from a file and from a buffer', async () => {
  const raw = mbox([mail({ subject: '[PATCH] gz: fix', messageId: 'g@x', body: patchBody('gz', diffFor('gz.c', 50)) })]);
  const gz = gzipSync(Buffer.from(raw));
  const fromFile = await ingestInputs([writeTemp('t.mbox.gz', gz)]);
  const fromBuf = await ingestBuffer(gz, 'lore:g@x');
  for (const r of [fromFile, fromBuf]) {
    assert.equal(r.series[0]!.patches[0]!.subject, 'gz: fix');
    assert.equal(r.series[0]!.patches[0]!.files[0]!.hunks[0]!.lines.find((l) => l.kind === 'add')!.newLine, 50);
  }
  await rejects([writeTemp('bad.gz', Buffer.concat([gz.subarray(0, 20), Buffer.alloc(40, 7)]))], /corrupt gzip|unexpected end|incorrect header|invalid/i);
});

test('format-patch directory and single file made by real git format-patch', async () => {
  const dir = tempDir();
  const git = simpleGit(dir);
  await git.init();
  await git.addConfig('user.name', 'T');
  await git.addConfig('user.email', 't@example.org');
  writeFileSync(join(dir, 'f.c'), 'int a;\nint b;\nint c;\n');
  await git.add('f.c').commit('base');
  writeFileSync(join(dir, 'f.c'), 'int a;\nint b2;\nint c;\nint d;\n');
  await git.add('f.c').commit('f: change b\n\nBody text.');
  writeFileSync(join(dir, 'g.c'), 'int g;\n');
  await git.add('g.c').commit('g: add');
  const out = join(dir, 'out');
  await git.raw(['format-patch', '-q', '--cover-letter', '--base=HEAD~2', '-o', out, 'HEAD~2']);
  const sha1 = (await git.revparse(['HEAD~1'])).trim();
  const base = (await git.revparse(['HEAD~2'])).trim();
  const r = await ingestInputs([out]);
  assert.equal(r.series.length, 1);
  const s = r.series[0]!;
  assert.equal(s.patches.length, 2);
  assert.equal(s.baseCommit, base);
  assert.ok(s.cover?.includes('*** BLURB HERE ***'));
  assert.equal(s.subject, 'f: change b'); // the placeholder cover subject is not used
  const [p1, p2] = s.patches;
  assert.equal(p1!.commit, sha1);
  assert.equal(p1!.subject, 'f: change b');
  assert.match(p1!.description, /^f: change b|Body text\./m);
  assert.equal(p1!.files[0]!.hunks[0]!.lines.find((l) => l.text === 'int d;')!.newLine, 4);
  assert.equal(p2!.files[0]!.status, 'added');
  assert.equal(p2!.files[0]!.oldPath, null);
  assert.ok(!p2!.diffText.includes('-- \n'), 'signature kept out of the diff');
  // `git log -p` of the same range: a series, oldest commit first, authors and ids from the log.
  const log = await git.raw(['log', '-p', 'HEAD~2..HEAD']);
  const lr = await ingestInputs([writeTemp('log.txt', log)]);
  assert.equal(lr.series.length, 1);
  assert.deepEqual(lr.series[0]!.patches.map((p) => [p.index, p.total, p.subject, p.commit]), [[1, 2, 'f: change b', sha1], [2, 2, 'g: add', (await git.revparse(['HEAD'])).trim()]]);
  assert.deepEqual(lr.series[0]!.patches[0]!.from, { name: 'T', email: 't@example.org' });
  assert.equal(lr.series[0]!.patches[0]!.description, 'Body text.\n');
  // One file of the directory given alone: patch 1/2 with a missing-patch note.
  const one = await ingestInputs([join(out, '0001-f-change-b.patch')]);
  assert.deepEqual(one.series[0]!.missing, [2]);
});

test('bare unified diff (diff -u) and git diff output', async () => {
  const bare = [
    '--- linux.orig/kernel/x.c\t2024-01-01 00:00:00.000000000 +0000',
    '+++ linux/kernel/x.c\t2024-01-02 00:00:00.000000000 +0000',
    '@@ -5,3 +5,4 @@ void x(void)',
    ' a',
    '+b',
    ' c',
    ' d',
    '',
  ].join('\n');
  const r = await ingestInputs([writeTemp('x.diff', bare)]);
  const f = r.series[0]!.patches[0]!.files[0]!;
  assert.equal(f.newPath, 'kernel/x.c');
  assert.equal(f.hunks[0]!.header, 'void x(void)');
  assert.equal(f.hunks[0]!.lines[1]!.newLine, 6);
  assert.equal(r.series[0]!.patches[0]!.subject, 'x.diff');

  const gd = diffFor('drivers/a.c', 100) + diffFor('drivers/b.c', 7);
  const g = await ingestInputs([writeTemp('g.patch', gd)]);
  assert.deepEqual(g.series[0]!.patches[0]!.files.map((x) => x.newPath), ['drivers/a.c', 'drivers/b.c']);
  assert.equal(g.series[0]!.patches[0]!.files[1]!.hunks[0]!.lines.find((l) => l.kind === 'add')!.newLine, 7);
});

test('git show output: commit id and subject come from its header', async () => {
  const text = `commit ${'a'.repeat(40)}\nAuthor: A <a@x>\nDate:   Mon Mar 4 10:00:00 2024 +0000\n\n    mm: fix the lock\n\n    Longer text.\n\n${diffFor('mm/x.c', 12)}`;
  const r = await ingestInputs([writeTemp('show.txt', text)]);
  const p = r.series[0]!.patches[0]!;
  assert.equal(p.commit, 'a'.repeat(40));
  assert.equal(p.subject, 'mm: fix the lock');
});

test('several inputs of different kinds in one call', async () => {
  const a = writeTemp('a.eml', mail({ subject: '[PATCH] a: one', messageId: 'a1@x', body: patchBody('a', diffFor('a.c')) }));
  const b = writeTemp('b.diff', diffFor('b.c'));
  const r = await ingestInputs([a, b]);
  assert.equal(r.series.length, 2);
  assert.deepEqual(r.series.map((s) => s.subject), ['a: one', 'b.diff']);
});

test('bad inputs: missing, unreadable, empty, binary, no patch, truncated, lying hunk counts', async () => {
  await rejects(['/nonexistent/x.mbox'], /no such file/, '/nonexistent/x.mbox');
  const unreadable = writeTemp('u.patch', diffFor('u.c'));
  chmodSync(unreadable, 0o000);
  if (process.getuid?.() !== 0) await rejects([unreadable], /permission denied/, unreadable);
  const empty = writeTemp('empty.mbox', '');
  await rejects([empty], /empty input/, empty);
  const bin = writeTemp('b.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0, 0, 9]));
  await rejects([bin], /binary file/, bin);
  const prose = writeTemp('notes.txt', 'Just some text.\nNo diff here.\n');
  await rejects([prose], /no patch found/, prose);
  const onlyReply = writeTemp('r.eml', mail({ subject: 'Re: [PATCH] x', body: 'Acked-by: Z <z@x>\n' }));
  await rejects([onlyReply], /no patch found/, onlyReply);
  const d = diffFor('t.c', 40);
  const truncated = writeTemp('trunc.diff', d.split('\n').slice(0, 8).join('\n') + '\n');
  await rejects([truncated], /truncated or corrupt hunk at t\.c line 5/, truncated);
  // The header says 5 new lines, the hunk carries 9: the counts lie.
  const lying = writeTemp('lie.diff', d.replace(/\+37,8 @@/, '+37,5 @@').replace(/-37,7/, '-37,3'));
  await rejects([lying], /truncated or corrupt hunk at t\.c/, lying);
  // In a mail too (the signature after a complete hunk is fine, a short hunk is not).
  const shortHunk = writeTemp('short.eml', mail({ subject: '[PATCH] s', body: patchBody('s', d.replace('-37,7 +37,8', '-37,9 +37,10')) }));
  await rejects([shortHunk], /truncated or corrupt hunk at t\.c/, shortHunk);
  const empties = writeTemp('ws.txt', '\n\n   \n');
  await rejects([empties], /empty input/);
});

test('a directory without patches and a directory with one broken patch', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'README'), 'x');
  await rejects([d], /no patch found/, d);
  mkdirSync(join(d, 'sub'));
  writeFileSync(join(d, '0001-a.patch'), '--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n');
  await rejects([d], /truncated or corrupt hunk/, join(d, '0001-a.patch'));
});

test('mboxo: an unquoted body line "From the ..." after a blank line does not split the message', async () => {
  const m = mail({ subject: '[PATCH] a: fix', messageId: 'u@x', body: patchBody('a: fix\n\nFrom the start this was wrong.', diffFor('a.c', 20)) });
  const raw = `From mboxo@z Thu Jan  1 00:00:00 1970\n${m}`;
  const r = await ingestInputs([writeTemp('u.mbox', raw)]);
  assert.equal(r.series[0]!.patches.length, 1);
  assert.match(r.series[0]!.patches[0]!.description, /From the start this was wrong\./);
  assert.equal(r.series[0]!.patches[0]!.files[0]!.newPath, 'a.c');
});

test('binary files in a patch are skipped with a series note', async () => {
  const d = diffFor('a.c') + 'diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n';
  const r = await ingestInputs([writeTemp('bin.eml', mail({ subject: '[PATCH] a: logo', body: patchBody('a', d) }))]);
  const s = r.series[0]!;
  assert.deepEqual(s.patches[0]!.files.map((f) => [f.newPath, f.status]), [['a.c', 'modified'], ['logo.png', 'binary']]);
  assert.ok(s.notes.includes('patch 1/1: binary file skipped: logo.png'), s.notes.join('\n'));
});
