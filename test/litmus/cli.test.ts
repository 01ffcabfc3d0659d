// `lockreview litmus` through the real CLI (bin/lockreview.js -> build/): herd7's layout for the
// shared kernel tests, exit 0; a syntax error or an unsupported construct is one line on stderr
// naming file and line, exit 2, nothing on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, SHARED } from '../helpers/cli.js';

const KERNEL = join(SHARED, 'lkmm', 'kernel');

test('lockreview litmus prints herd7 layout for each file and exits 0', () => {
  const r = runCli(['litmus', join(KERNEL, 'tools-MP+pooncerelease+poacquireonce.litmus'), join(KERNEL, 'tools-SB+poonceonces.litmus')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const first = r.stdout.split('\n\n')[0]!.split('\n');
  assert.deepEqual(first, [
    'Test MP+pooncerelease+poacquireonce Allowed',
    'States 3',
    '1:r0=0; 1:r1=0;',
    '1:r0=0; 1:r1=1;',
    '1:r0=1; 1:r1=1;',
    'No',
    'Witnesses',
    'Positive: 0 Negative: 3',
    'Condition exists (1:r0=1 /\\ 1:r1=0)',
    'Observation MP+pooncerelease+poacquireonce Never 0 3',
  ]);
  assert.match(r.stdout, /^Observation SB\+poonceonces Sometimes 1 3$/m);
});

test('lockreview litmus prints Flag data-race when plain accesses race', () => {
  const r = runCli(['litmus', join(SHARED, 'lkmm', 'variants', 'bitlock-unlock-once-plain.litmus')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Flag data-race$/m);
  assert.match(r.stdout, /^Observation bitlock-unlock-once-plain Sometimes 1 2$/m);
});

test('a parse error is exit 2 with one stderr line naming file and line, nothing on stdout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-litmus-'));
  const bad = join(dir, 'bad.litmus');
  writeFileSync(bad, 'C bad\n{}\n\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1)\n}\n\nexists (x=1)\n');
  const good = join(KERNEL, 'tools-SB+poonceonces.litmus');
  const r = runCli(['litmus', good, bad]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '', 'nothing half-written');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, new RegExp(`^lockreview: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7: expected ';'`));
});

test('an unsupported construct is exit 2 with the reason and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-litmus-'));
  const f = join(dir, 'bitops.litmus');
  writeFileSync(f, 'C bitops\n{}\nP0(unsigned long *w)\n{\n\tset_bit(0, w);\n}\nexists (w=1)\n');
  const r = runCli(['litmus', f]);
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^lockreview: unsupported: primitive 'set_bit' .*bitops\.litmus:5\)$/);
});

test('a missing file is exit 2 naming it', () => {
  const r = runCli(['litmus', '/nonexistent/x.litmus']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^lockreview: \/nonexistent\/x\.litmus: cannot read: ENOENT/);
});
