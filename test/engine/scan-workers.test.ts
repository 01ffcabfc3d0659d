// Scan mode on worker threads gives the one-thread report: the same findings (ids, files, lines,
// messages, order) and notes, with the workers forced on (LOCKREVIEW_WORKERS) and off. The input is
// the check fixtures (they carry findings of every family) plus kernel/locking/ from the 6.12
// sources when installed (enough work that the workers really take files), one fixture folder
// named twice (its files are analysed twice and report once, as with one shared sink) and a file
// that is not C (a note).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { scanThreadCount, PARALLEL_MIN_FILES } from '../../src/engine/scan-workers.js';

const KERNEL_LOCKING = '/usr/src/linux-source-6.12/kernel/locking';

function scanInput(): { dir: string; paths: string[]; kernel: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'lr-scan-workers-'));
  cpSync(join(ROOT, 'test', 'fixtures', 'checks'), join(dir, 'fixtures'), { recursive: true });
  const kernel = existsSync(KERNEL_LOCKING);
  if (kernel) {
    mkdirSync(join(dir, 'locking'));
    for (const f of readdirSync(KERNEL_LOCKING).filter((f) => f.endsWith('.c'))) cpSync(join(KERNEL_LOCKING, f), join(dir, 'locking', f));
  }
  writeFileSync(join(dir, 'notes.txt'), 'static void f(void) { }\n');
  const twice = join(dir, 'fixtures', readdirSync(join(dir, 'fixtures')).sort()[0]!); // a folder
  return { dir, paths: [dir, twice, join(dir, 'notes.txt')], kernel };
}

function scan(paths: string[], workers: number): { report: { findings: unknown[]; notes: string[]; stats: Record<string, unknown> }; stderr: string } {
  const r = runCli(['scan', '--format', 'json', '--fail-on', 'never', ...paths], { env: { LOCKREVIEW_WORKERS: String(workers) } });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  delete report.stats.ms; // wall time
  return { report, stderr: r.stderr };
}

test('scan on worker threads reports exactly what one thread reports', () => {
  const { paths, kernel } = scanInput();
  const one = scan(paths, 1);
  assert.ok(one.report.findings.length > 10, 'the fixtures carry findings');
  assert.ok(one.report.notes.some((n) => /notes\.txt: not a C file/.test(n)));
  assert.match(one.stderr, /files, \d+ lines in [\d.]+ s: \d+ lines\/s on 1 thread\n/);
  for (const workers of [2, 3]) {
    const many = scan(paths, workers);
    assert.deepEqual(many.report, one.report, `LOCKREVIEW_WORKERS=${workers}`);
    // With kernel/locking/ there is more work than a worker's start-up: the workers take files.
    if (kernel) assert.match(many.stderr, /on [23] threads\n/);
  }
});

test('thread count: forced by LOCKREVIEW_WORKERS, else one thread for small inputs and up to 4 for large', () => {
  assert.equal(scanThreadCount(1000, { LOCKREVIEW_WORKERS: '1' }), 1);
  assert.equal(scanThreadCount(5, { LOCKREVIEW_WORKERS: '3' }), 3);
  assert.equal(scanThreadCount(2, { LOCKREVIEW_WORKERS: '3' }), 2, 'never more threads than files');
  assert.equal(scanThreadCount(PARALLEL_MIN_FILES - 1, {}), 1);
  const large = scanThreadCount(1000, {});
  assert.ok(large >= 1 && large <= 4);
  assert.equal(scanThreadCount(1000, { LOCKREVIEW_WORKERS: 'lots' }), large, 'a value that is not a count is ignored');
});
