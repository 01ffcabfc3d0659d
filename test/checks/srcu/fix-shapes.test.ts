// srcu in hunk-only mode over the shapes real SRCU fixes take (fix-shapes.ts): each buggy form
// (the fix reversed) draws its finding within three lines of its anchor, as the corpus scorer
// counts it, with an interleaving that reaches the flagged line; each fixed form draws nothing.
// Known misses are asserted as misses (their fixed form must still be silent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/srcu/index.js';
import { SRCU_BALANCED_PATCHES, SRCU_FIX_SHAPES, anchorLines } from './fix-shapes.js';

for (const s of SRCU_FIX_SHAPES) {
  test(`fix shape${s.knownMiss ? ' (known miss)' : ''}: ${s.name}`, async () => {
    const anchors = anchorLines(s.buggy, s.anchor);
    assert.equal(anchors.length, 1, `anchor ${s.anchor} appears once in the buggy form`);
    const buggy = await runChecksOnPatch(s.buggy, { checks });
    const got = JSON.stringify(buggy.map((f) => `${f.ruleId}@${f.line}`));
    const hit = buggy.find((f) => f.ruleId === s.rule && Math.abs(f.line - anchors[0]!) <= 3);
    if (s.knownMiss) {
      assert.equal(hit, undefined, `now caught (${got}): drop knownMiss`);
    } else {
      assert.ok(hit, `expected ${s.rule} near line ${anchors[0]}, got ${got}`);
      assert.ok(hit.reproduction.interleaving?.steps.some((st) => st.line === hit.line), 'the interleaving reaches the flagged line');
    }
    const fixed = await runChecksOnPatch(s.fixed, { checks });
    assert.deepEqual(fixed.map((f) => `${f.ruleId}@${f.line}: ${f.message}`), []);
  });
}

for (const b of SRCU_BALANCED_PATCHES) {
  test(`balanced read side across functions stays silent: ${b.name}`, async () => {
    assert.deepEqual((await runChecksOnPatch(b.patch, { checks })).map((f) => `${f.ruleId}@${f.line}: ${f.message}`), []);
  });
}

// Near misses of the checks the shapes exercise.
const addFunction = (file: string, body: string[]): string =>
  [`diff --git a/${file} b/${file}`, `--- a/${file}`, `+++ b/${file}`, `@@ -10,2 +10,${2 + body.length} @@`, ' #include <linux/srcu.h>', ...body.map((l) => `+${l}`), ' ', ''].join('\n');

test('near miss: a plain-RCU field (read with rcu_dereference) freed after its replacement is not an SRCU finding', async () => {
  const patch = addFunction('drivers/acme/acme-rcu.c', [
    'const char *acme_peek(struct acme_desc *desc)',
    '{',
    '	return rcu_dereference(desc->label);',
    '}',
    '',
    'static void acme_relabel(struct acme_desc *desc, const char *new)',
    '{',
    '	const char *old = rcu_replace_pointer(desc->label, new, 1);',
    '',
    '	kfree(old);',
    '}',
  ]);
  assert.deepEqual((await runChecksOnPatch(patch, { checks })).map((f) => `${f.ruleId}@${f.line}`), []);
});

test('near miss: one synchronize_srcu() per entry on the entry\'s own srcu_struct (the iterator cursor) is needed, not a hot path', async () => {
  const patch = addFunction('drivers/acme/acme-bus.c', [
    'static void acme_bus_quiesce(struct acme_bus *bus)',
    '{',
    '	struct acme_dev *dev;',
    '',
    '	list_for_each_entry(dev, &bus->devices, node)',
    '		synchronize_srcu(&dev->srcu);',
    '}',
  ]);
  assert.deepEqual((await runChecksOnPatch(patch, { checks })).map((f) => `${f.ruleId}@${f.line}`), []);
});

test('the same loop waiting on the bus\'s srcu_struct is one grace period per entry', async () => {
  const patch = addFunction('drivers/acme/acme-bus.c', [
    'static void acme_bus_quiesce(struct acme_bus *bus)',
    '{',
    '	struct acme_dev *dev;',
    '',
    '	list_for_each_entry(dev, &bus->devices, node)',
    '		synchronize_srcu(&bus->srcu);',
    '}',
  ]);
  assert.deepEqual((await runChecksOnPatch(patch, { checks })).map((f) => `${f.ruleId}@${f.line}`), ['srcu-sync-hot-path@16']);
});

test('a lock in the vCPU run loop is inside the kvm->srcu read side its caller entered, and the finding says so', async () => {
  const s = SRCU_FIX_SHAPES.find((x) => x.name === 'kvm->lock taken inside a kvm->srcu read side')!;
  const [f] = (await runChecksOnPatch(s.buggy, { checks })).filter((x) => x.ruleId === 'srcu-sync-lock-inversion');
  assert.match(f?.message ?? '', /read-side section its caller kvm_arch_vcpu_ioctl_run\(\) entered/);
  assert.deepEqual(f!.reproduction.chain?.slice(0, 2), ['kvm_arch_vcpu_ioctl_run()', 'vcpu_enter_guest()']);
  // The same code outside arch/x86/kvm/x86.c has no known caller read side.
  const elsewhere = s.buggy.replaceAll('arch/x86/kvm/x86.c', 'arch/x86/kvm/acme.c');
  assert.deepEqual((await runChecksOnPatch(elsewhere, { checks })).map((x) => x.ruleId), []);
});
