// Every real message of the shared corpus ingests, and hand-counted post-image line numbers hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ingestInputs } from '../../src/ingest/index.js';
import type { FileDiff } from '../../src/model/index.js';
import { SHARED } from '../helpers/cli.js';

const CORPUS = join(SHARED, 'corpus');

function addedLine(files: FileDiff[], path: string, text: string): number | null {
  for (const f of files) {
    if (f.newPath !== path) continue;
    for (const h of f.hunks) for (const l of h.lines) if (l.kind === 'add' && l.text === text) return l.newLine;
  }
  return null;
}

test('every corpus .eml ingests into one series with at least one file diff', async () => {
  const emls = readdirSync(CORPUS).filter((f) => f.endsWith('.eml'));
  assert.ok(emls.length >= 20);
  for (const f of emls) {
    const r = await ingestInputs([join(CORPUS, f)]);
    assert.equal(r.series.length, 1, f);
    const [s] = r.series;
    assert.equal(s!.patches.length, 1, f);
    const p = s!.patches[0]!;
    assert.ok(p.files.length >= 1, f);
    assert.ok(p.subject.length > 0 && !p.subject.startsWith('['), `${f}: ${p.subject}`);
    for (const file of p.files) for (const h of file.hunks) {
      // The counts of each hunk match its lines.
      assert.equal(h.lines.filter((l) => l.kind !== 'add').length, h.oldLines, f);
      assert.equal(h.lines.filter((l) => l.kind !== 'del').length, h.newLines, f);
    }
  }
});

test('qrwlock: hand-counted post-image lines and the hunk function header', async () => {
  const r = await ingestInputs([join(CORPUS, 'qrwlock-write-slowpath-relaxed-cmpxchg.eml')]);
  const p = r.series[0]!.patches[0]!;
  assert.equal(p.subject, 'locking/qrwlock: Fix ordering in queued_write_lock_slowpath');
  const files = p.files;
  assert.equal(files[0]!.hunks[0]!.header, 'void queued_write_lock_slowpath(struct qrwlock *lock)');
  // @@ -73,8 +73,8 @@: blank(73) comment(74) do {(75) -,- then + at 76 and 77.
  assert.equal(addedLine(files, 'kernel/locking/qrwlock.c', '\t\tatomic_cond_read_relaxed(&lock->cnts, VAL == _QW_WAITING);'), 76);
  assert.equal(addedLine(files, 'kernel/locking/qrwlock.c', '\t} while (atomic_cmpxchg_acquire(&lock->cnts, _QW_WAITING,'), 77);
  // The format-patch signature "-- \n2.24.4.AMZN" is not part of the diff.
  assert.ok(!p.diffText.includes('2.24.4.AMZN'));
  const last = files[0]!.hunks[0]!.lines.at(-1)!;
  assert.deepEqual(last, { kind: 'ctx', text: '\tarch_spin_unlock(&lock->wait_lock);', oldLine: 80, newLine: 80 });
});

test('gpiolib (two files, three hunks): hand-counted post-image lines', async () => {
  const r = await ingestInputs([join(CORPUS, 'srcu-gpiolib-label-sync-srcu-hotpath.eml')]);
  const files = r.series[0]!.patches[0]!.files;
  assert.deepEqual(files.map((f) => f.newPath), ['drivers/gpio/gpiolib.c', 'drivers/gpio/gpiolib.h']);
  const c = 'drivers/gpio/gpiolib.c';
  assert.equal(addedLine(files, c, '\tstruct gpio_desc_label *label;'), 104);
  assert.equal(addedLine(files, c, '\tif (!test_bit(FLAG_REQUESTED, &flags))'), 112);
  assert.equal(addedLine(files, c, '\tlabel = srcu_dereference_check(desc->label, &desc->srcu,'), 115);
  assert.equal(addedLine(files, c, '\treturn label->str;'), 118);
  assert.equal(addedLine(files, c, '\t\tsynchronize_srcu(&gdev->descs[i].srcu);'), 716);
  assert.equal(addedLine(files, 'drivers/gpio/gpiolib.h', 'struct gpio_desc_label {'), 140);
  assert.equal(files[0]!.hunks[2]!.header, 'static void gpiodev_release(struct device *dev)');
});

test('stable-queue mail [PATCH 6.18 252/614]: position, prefix and the missing-patches note', async () => {
  const r = await ingestInputs([join(CORPUS, 'coresight-mode-claim-release.eml')]);
  const s = r.series[0]!;
  assert.equal(s.patches[0]!.index, 252);
  assert.equal(s.patches[0]!.total, 614);
  assert.deepEqual(s.prefixes, ['6.18']);
  assert.equal(s.missing.length, 613);
  assert.ok(s.notes.some((n) => n.includes('1-251, 253-614 of 614 missing')), s.notes.join('\n'));
});

test('tip-bot mail "[tip: irq/core] ..." without a PATCH tag is a patch', async () => {
  const r = await ingestInputs([join(CORPUS, 'irq-work-claim-failed-cmpxchg.eml')]);
  const p = r.series[0]!.patches[0]!;
  assert.equal(p.subject, 'irq_work: Fix irq_work_claim() memory ordering');
  assert.deepEqual(r.series[0]!.prefixes, ['tip: irq/core']);
  assert.equal(p.files[0]!.newPath, 'kernel/irq_work.c');
});
