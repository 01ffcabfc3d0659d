// A check that throws is recorded as a note ("check X failed: ...") and the run goes on, so a
// crash would otherwise go unseen. Every check runs here over every fixture of every family, in
// scan mode (whole files, all functions visible: the cross-function paths run too), and the run
// must carry no such note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';

test('no check throws over the fixtures of every family (scan mode, cross-function paths included)', () => {
  const r = runCli(['scan', '--format', 'json', '--fail-on', 'never', join(ROOT, 'test', 'fixtures', 'checks')]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { notes: string[]; findings: unknown[]; stats: { functions: number } };
  assert.ok(report.stats.functions > 50, `only ${report.stats.functions} functions analysed`);
  assert.ok(report.findings.length > 10, 'the fixtures carry expected findings');
  assert.deepEqual(report.notes.filter((n) => /check .* failed/.test(n)), []);
});

test('no check throws on a bit-lock released before a call to a plain helper (the unlock-wrapper lookup)', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'lr-crash-'));
  writeFileSync(
    join(dir, 'word.c'),
    [
      'static unsigned long state;',
      'static int data;',
      'static void put_header(struct hdr *h) { hdr_unlock(h); }',
      'void take(void) { while (test_and_set_bit(0, &state)) cpu_relax(); data++; }',
      'void drop(void) { data--; clear_bit(0, &state); notify_waiters(); }',
      '',
    ].join('\n'),
  );
  const r = runCli(['scan', '--format', 'json', '--fail-on', 'never', dir]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { notes: string[] };
  assert.deepEqual(report.notes.filter((n) => /check .* failed/.test(n)), []);
});
