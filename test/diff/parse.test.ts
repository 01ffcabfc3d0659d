// The unified diff parser: git extended headers, binary files, quoted paths, exact line numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDiff } from '../../src/diff/index.js';
import { InputError } from '../../src/errors.js';

const parse = (t: string) => parseDiff(t, { input: 'test' }).files;

test('renames, copies, new, deleted, mode-only and binary files', () => {
  const text = [
    'diff --git a/old/name.c b/new/name.c',
    'similarity index 90%',
    'rename from old/name.c',
    'rename to new/name.c',
    'index 1..2 100644',
    '--- a/old/name.c',
    '+++ b/new/name.c',
    '@@ -1,2 +1,2 @@',
    '-x',
    '+y',
    ' z',
    'diff --git a/a.c b/copy.c',
    'similarity index 100%',
    'copy from a.c',
    'copy to copy.c',
    'diff --git a/n.c b/n.c',
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    '+++ b/n.c',
    '@@ -0,0 +1,2 @@',
    '+one',
    '+two',
    'diff --git a/d.c b/d.c',
    'deleted file mode 100644',
    'index 1111111..0000000',
    '--- a/d.c',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-gone',
    'diff --git a/script.sh b/script.sh',
    'old mode 100644',
    'new mode 100755',
    'diff --git a/img.png b/img.png',
    'index 1..2 100644',
    'Binary files a/img.png and b/img.png differ',
    'diff --git a/blob.bin b/blob.bin',
    'new file mode 100644',
    'index 0000000..3333333',
    'GIT binary patch',
    'literal 12',
    'TcmZ?wbhEHbRA1a+cmZ?wb',
    '',
    'literal 0',
    'HcmV?d00001',
    '',
    'diff --git a/last.c b/last.c',
    '--- a/last.c',
    '+++ b/last.c',
    '@@ -10,2 +10,3 @@ int main(void)',
    ' a',
    '+b',
    ' c',
    '\\ No newline at end of file',
    '',
  ].join('\n');
  const files = parse(text);
  assert.deepEqual(files.map((f) => [f.status, f.oldPath, f.newPath]), [
    ['renamed', 'old/name.c', 'new/name.c'],
    ['copied', 'a.c', 'copy.c'],
    ['added', null, 'n.c'],
    ['deleted', 'd.c', null],
    ['modified', 'script.sh', 'script.sh'],
    ['binary', 'img.png', 'img.png'],
    ['binary', 'blob.bin', 'blob.bin'],
    ['modified', 'last.c', 'last.c'],
  ]);
  assert.equal(files[4]!.note, 'mode change only');
  assert.match(files[5]!.note!, /binary/);
  assert.match(files[6]!.note!, /binary/);
  assert.deepEqual(files[2]!.hunks[0]!.lines.map((l) => l.newLine), [1, 2]);
  assert.deepEqual(files[3]!.hunks[0]!.lines.map((l) => [l.kind, l.oldLine, l.newLine]), [['del', 1, null]]);
  const h = files[7]!.hunks[0]!;
  assert.equal(h.header, 'int main(void)');
  assert.deepEqual(h.lines.map((l) => [l.kind, l.oldLine, l.newLine]), [['ctx', 10, 10], ['add', null, 11], ['ctx', 11, 12]]);
});

test('quoted paths with spaces and octal escapes', () => {
  const files = parse([
    'diff --git "a/dir/with space\\303\\244.c" "b/dir/with space\\303\\244.c"',
    '--- "a/dir/with space\\303\\244.c"',
    '+++ "b/dir/with space\\303\\244.c"',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n'));
  assert.equal(files[0]!.newPath, 'dir/with spaceä.c');
});

test('a context line whose single space a mailer stripped still counts', () => {
  const files = parse(['--- a/x.c', '+++ b/x.c', '@@ -1,3 +1,4 @@', ' a', '', '+new', ' c', ''].join('\n'));
  assert.deepEqual(files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.newLine]), [['ctx', 1], ['ctx', 2], ['add', 3], ['ctx', 4]]);
});

test('multiple hunks: line numbers restart from each header', () => {
  const files = parse(['--- a/x.c', '+++ b/x.c', '@@ -1,2 +1,3 @@', ' a', '+b', ' c', '@@ -50,2 +51,2 @@ fn', '-d', '+e', ' f', ''].join('\n'));
  const [h1, h2] = files[0]!.hunks;
  assert.equal(h1!.lines[1]!.newLine, 2);
  assert.deepEqual(h2!.lines.map((l) => [l.kind, l.oldLine, l.newLine]), [['del', 50, null], ['add', null, 51], ['ctx', 51, 52]]);
});

test('lying counts are errors naming the file and line; a trailing mail signature is not', () => {
  const tooShort = ['--- a/x.c', '+++ b/x.c', '@@ -1,3 +1,3 @@', ' a', '-b', '+c', ''].join('\n');
  assert.throws(() => parse(tooShort), (e: unknown) => e instanceof InputError && /truncated or corrupt hunk at x\.c line 3/.test(e.message));
  const tooLong = ['--- a/x.c', '+++ b/x.c', '@@ -1,1 +1,1 @@', '-b', '+c', '+d', ' e', ''].join('\n');
  assert.throws(() => parse(tooLong), /truncated or corrupt hunk at x\.c/);
  const signed = ['--- a/x.c', '+++ b/x.c', '@@ -1,1 +1,1 @@', '-b', '+c', '-- ', '2.43.0', '', ''].join('\n');
  const r = parseDiff(signed, { input: 't' });
  assert.equal(r.files[0]!.hunks[0]!.lines.length, 2);
  assert.ok(!r.diffText.includes('2.43.0'));
  // A deleted line "- " inside a hunk is a line, not a signature.
  const dashLine = ['--- a/doc.md', '+++ b/doc.md', '@@ -1,2 +1,1 @@', '-- ', ' x', ''].join('\n');
  assert.deepEqual(parse(dashLine)[0]!.hunks[0]!.lines.map((l) => [l.kind, l.text]), [['del', '- '], ['ctx', 'x']]);
  // The error's line is the input's line when the text starts later in the input.
  assert.throws(() => parseDiff(tooShort, { input: 'm', lineBase: 100 }), /line 103/);
});

test('a message with 10,000 files parses with exact numbers', () => {
  const parts: string[] = [];
  for (let i = 0; i < 10000; i++) {
    parts.push(`diff --git a/d/f${i}.c b/d/f${i}.c`, 'index 1..2 100644', `--- a/d/f${i}.c`, `+++ b/d/f${i}.c`, `@@ -${i + 1},2 +${i + 1},3 @@`, ' a', `+added ${i}`, ' b');
  }
  const files = parse(parts.join('\n') + '\n');
  assert.equal(files.length, 10000);
  assert.equal(files[9999]!.newPath, 'd/f9999.c');
  assert.equal(files[9999]!.hunks[0]!.lines[1]!.newLine, 10001);
  assert.equal(files[1234]!.hunks[0]!.lines[1]!.text, 'added 1234');
});

test("b4's footer after the diff (--- / base-commit / change-id / signature) ends the diff", () => {
  const text = ['--- a/x.c', '+++ b/x.c', '@@ -1,1 +1,1 @@', '-b', '+c', '---', 'base-commit: 0123456789abcdef', 'change-id: 20240101-x-1a2b', '', 'Best regards,', '-- ', 'A <a@x>', ''].join('\n');
  const r = parseDiff(text, { input: 't' });
  assert.equal(r.files[0]!.hunks[0]!.lines.length, 2);
  assert.ok(!r.diffText.includes('base-commit'));
});

test('a blank line between hunks is tolerated; a file header cut before its hunk is an error', () => {
  const files = parse(['--- a/x.c', '+++ b/x.c', '@@ -1,1 +1,1 @@', '-a', '+b', '', '@@ -9,1 +9,2 @@ g', ' c', '+d', ''].join('\n'));
  assert.equal(files[0]!.hunks.length, 2);
  assert.equal(files[0]!.hunks[1]!.lines[1]!.newLine, 10);
  const cut = ['--- a/x.c', '+++ b/x.c', '@@ -1,1 +1,1 @@', '-a', '+b', 'diff --git a/y.c b/y.c', '--- a/y.c', '+++ b/y.c', ''].join('\n');
  assert.throws(() => parse(cut), /truncated or corrupt hunk at y\.c line 7/);
  const badHeader = ['--- a/x.c', '+++ b/x.c', '@@ -1,1 +1,1 @@', '-a', '+b', '@@ -x +y @@', ''].join('\n');
  assert.throws(() => parse(badHeader), /truncated or corrupt hunk at x\.c line 6/);
});
