// The never-built-with-PREEMPT_RT stage (src/filter/never-built.ts) through the real pipeline: a
// hunk-only check of a one-patch mbox. An RT-only shape (a spinlock_t taken under a raw spinlock)
// in mm/huge_memory.c, which only TRANSPARENT_HUGEPAGE builds and which depends on !PREEMPT_RT,
// is dropped with a note; the same code in mm/memory.c is reported; a finding that needs no RT
// (a mutex under a spinlock) in mm/huge_memory.c stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewInputs } from '../../src/pipeline.js';
import { loadKnowledgeBase } from '../../src/kb/index.js';
import { dropNeverBuilt, requiredOptions } from '../../src/filter/index.js';
import type { Finding } from '../../src/model/index.js';

/** A one-patch mbox adding `body` lines inside a function of `file`. */
function mbox(file: string, body: string[]): string {
  const hunk = [
    ' static void thp_foo_update(struct thp_foo *foo, unsigned long val)',
    ' {',
    ...body.map((l) => `+\t${l}`),
    ' \tfoo->val = val;',
    ' }',
  ];
  const added = body.length;
  return [
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
    'From: A Developer <dev@example.org>',
    'Date: Sun, 6 Dec 2026 10:00:00 +0000',
    'Subject: [PATCH] mm: update the foo under its locks',
    '',
    'Take the locks around the update.',
    '---',
    `diff --git a/${file} b/${file}`,
    'index 1111111..2222222 100644',
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -200,4 +200,${4 + added} @@ struct thp_foo *thp_foo_get(void);`,
    ...hunk,
    '-- ',
    '2.45.0',
    '',
  ].join('\n');
}

const rtOnlyShape = ['raw_spin_lock(&foo->raw_lock);', 'spin_lock(&foo->lock);', 'foo->count++;', 'spin_unlock(&foo->lock);', 'raw_spin_unlock(&foo->raw_lock);'];
const everyConfigShape = ['spin_lock(&foo->lock);', 'mutex_lock(&foo->mutex);', 'foo->count++;', 'mutex_unlock(&foo->mutex);', 'spin_unlock(&foo->lock);'];

async function check(file: string, body: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-never-rt-'));
  const path = join(dir, '0001-mm.patch');
  writeFileSync(path, mbox(file, body));
  return reviewInputs([path], { hunksOnly: true });
}

test('an RT-only finding in mm/huge_memory.c is dropped, with one note naming the Kconfig fact', async () => {
  const report = await check('mm/huge_memory.c', rtOnlyShape);
  assert.deepEqual(report.findings.map((f) => f.ruleId), []);
  const dropped = report.notes.filter((n) => n.includes(' dropped: '));
  assert.equal(dropped.length, 1, JSON.stringify(report.notes));
  assert.match(dropped[0]!, /^mm\/huge_memory\.c:203 atomic-sleep-rt-only dropped: TRANSPARENT_HUGEPAGE depends on !PREEMPT_RT \(mm\/Kconfig:861\)$/);
});

test('the same code in mm/memory.c (built on RT) is reported, without a note', async () => {
  const report = await check('mm/memory.c', rtOnlyShape);
  assert.deepEqual(report.findings.map((f) => [f.ruleId, f.file, f.line]), [['atomic-sleep-rt-only', 'mm/memory.c', 203]]);
  assert.ok(report.findings[0]!.reproduction.configs?.includes('CONFIG_PREEMPT_RT=y'));
  assert.deepEqual(report.notes.filter((n) => n.includes(' dropped: ')), []);
});

test('a finding that needs no PREEMPT_RT stays in mm/huge_memory.c', async () => {
  const report = await check('mm/huge_memory.c', everyConfigShape);
  assert.deepEqual(report.findings.map((f) => [f.ruleId, f.line]), [['atomic-sleep-in-atomic', 203]]);
  assert.ok(!requiredOptions(report.findings[0]!).includes('PREEMPT_RT'));
  assert.deepEqual(report.notes.filter((n) => n.includes(' dropped: ')), []);
});

function finding(file: string, configs: string[] | null, ruleId = 'seqcount-reader-atomic-rt'): Finding {
  return {
    id: `f-${file}`, ruleId, class: 'seqcount', severity: 'warning', file, line: 7, endLine: 7, function: null, patch: 1, introduced: true, message: 'm',
    reproduction: { interleaving: null, litmus: null, verdict: null, chain: null, splat: null, configs },
  };
}

test('the stage reads both spellings of the option, and names the symbol a dependent goes through', async () => {
  const facts = await loadKnowledgeBase(); // rules/kconfig/never-rt-6.12.yaml lists drivers/dax/kmem.c via DEV_DAX
  const notes: string[] = [];
  const kept = dropNeverBuilt(
    [
      finding('drivers/dax/kmem.c', ['CONFIG_PREEMPT_RT', 'CONFIG_DEBUG_ATOMIC_SLEEP']), // seqcount-reader-atomic-rt's spelling
      finding('drivers/dax/kmem.c', ['CONFIG_PREEMPT_RT=y'], 'atomic-sleep-rt-only'),
      finding('drivers/dax/kmem.c', ['CONFIG_PROVE_LOCKING=y'], 'lock-order-abba'),
      finding('drivers/dax/kmem.c', null, 'bitlock-relaxed-acquire'),
      finding('drivers/dax/bus.c', ['CONFIG_PREEMPT_RT']),
    ],
    facts,
    notes,
  );
  assert.deepEqual(kept.map((f) => [f.ruleId, f.file]), [['lock-order-abba', 'drivers/dax/kmem.c'], ['bitlock-relaxed-acquire', 'drivers/dax/kmem.c'], ['seqcount-reader-atomic-rt', 'drivers/dax/bus.c']]);
  assert.deepEqual(notes, [
    'drivers/dax/kmem.c:7 seqcount-reader-atomic-rt dropped: DEV_DAX_KMEM depends on DEV_DAX, which depends on !PREEMPT_RT (drivers/dax/Kconfig:67)',
    'drivers/dax/kmem.c:7 atomic-sleep-rt-only dropped: DEV_DAX_KMEM depends on DEV_DAX, which depends on !PREEMPT_RT (drivers/dax/Kconfig:67)',
  ]);
});
