// The rmap bit-lock of the 2024-08-09 seed thread (KVM's per-rmap lock stolen from rmap_head->val),
// as a patch of its own: the WRITE_ONCE() unlock is flagged, the RELEASE unlocks are silent, and
// the generated litmus tests are decided by the embedded LKMM checker: the bug's test is
// Sometimes, the same test with the fix applied is Never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checks } from '../../../src/checks/bitlock/index.js';
import { decideLitmus } from '../../../src/litmus/index.js';
import { runChecksOnPatch, runChecksOnSource } from '../../helpers/check-tester.js';

function rmapPatch(unlock: string): string {
  const added = `#define KVM_RMAP_LOCKED\tBIT(1)

static unsigned long kvm_rmap_lock(struct kvm_rmap_head *rmap_head)
{
\tunsigned long old_val, new_val;

\told_val = READ_ONCE(rmap_head->val);
\tif (!old_val)
\t\treturn 0;

\tdo {
\t\twhile (old_val & KVM_RMAP_LOCKED) {
\t\t\told_val = READ_ONCE(rmap_head->val);
\t\t\tcpu_relax();
\t\t}
\t\tif (!old_val)
\t\t\treturn 0;
\t\tnew_val = old_val | KVM_RMAP_LOCKED;
\t} while (!try_cmpxchg(&rmap_head->val, &old_val, new_val));

\treturn old_val;
}

static void kvm_rmap_unlock(struct kvm_rmap_head *rmap_head,
\t\t\t    unsigned long new_val)
{
\tWARN_ON_ONCE(new_val & KVM_RMAP_LOCKED);
\t${unlock}
}
`.split('\n');
  const body = [' #define KVM_RMAP_MANY\tBIT(0)', ' ', ...added.map((l) => '+' + l), ' /*', '  * Returns the number of pointers in the rmap chain.'];
  const oldN = body.filter((l) => !l.startsWith('+')).length;
  return [
    'diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c',
    '--- a/arch/x86/kvm/mmu/mmu.c',
    '+++ b/arch/x86/kvm/mmu/mmu.c',
    `@@ -915,${oldN} +915,${body.length} @@ static struct kvm_memory_slot *gfn_to_memslot_dirty_bitmap(struct kvm_vcpu *vcpu`,
    ...body,
    '',
  ].join('\n');
}

test('seed: the WRITE_ONCE() unlock of the rmap bit-lock is flagged with a deciding litmus test', async () => {
  const findings = await runChecksOnPatch(rmapPatch('WRITE_ONCE(rmap_head->val, new_val);'), { checks });
  assert.equal(findings.length, 1);
  const f = findings[0]!;
  assert.equal(f.ruleId, 'bitlock-unlock-without-release');
  assert.equal(f.function, 'kvm_rmap_unlock');
  assert.equal(f.file, 'arch/x86/kvm/mmu/mmu.c');
  assert.equal(f.line, 944);
  assert.equal(f.introduced, true);
  assert.match(f.message, /smp_store_release/);
  const litmus = f.reproduction.litmus!;
  assert.equal(decideLitmus(litmus).observation, 'Sometimes');
  // The same test with the unlock the reviewers asked for: the bad outcome is forbidden.
  const fixed = litmus.replace('WRITE_ONCE(*val, 0);', 'smp_store_release(val, 0);');
  assert.notEqual(fixed, litmus);
  assert.equal(decideLitmus(fixed).observation, 'Never');
  const steps = f.reproduction.interleaving!.steps;
  assert.ok(steps.some((s) => s.cpu === 0 && s.line === 944));
  assert.ok(steps.some((s) => s.cpu === 1 && /try_cmpxchg/.test(s.action)));
});

test('seed: a plain-store unlock is flagged too', async () => {
  const findings = await runChecksOnPatch(rmapPatch('rmap_head->val = new_val;'), { checks });
  assert.deepEqual(findings.map((f) => [f.ruleId, f.line]), [['bitlock-unlock-without-release', 944]]);
});

for (const unlock of ['smp_store_release(&rmap_head->val, new_val);', 'atomic_long_set_release(&rmap_head->val, new_val);', 'smp_mb();\n\tWRITE_ONCE(rmap_head->val, new_val);']) {
  test(`seed: the RELEASE unlock stays silent: ${unlock.split('\n').at(-1)}`, async () => {
    const findings = await runChecksOnPatch(rmapPatch(unlock), { checks });
    assert.deepEqual(findings, []);
  });
}

test('a barrier after the unlock store does not help', async () => {
  const findings = await runChecksOnPatch(rmapPatch('WRITE_ONCE(rmap_head->val, new_val);\n\tsmp_mb();'), { checks });
  assert.equal(findings.length, 1);
});

test('every fixture finding carries a test the LKMM checker finds Sometimes; the fixed form is Never', async () => {
  const dir = fileURLToPath(new URL('../../fixtures/checks/bitlock/', import.meta.url));
  const fixes: Array<[RegExp, string]> = [
    [/WRITE_ONCE\(\*(\w+), 0\);|\*(\w+) = 0;/, 'smp_store_release($1$2, 0);'],
    [/smp_wmb\(\);/, 'smp_mb();'],
    [/(cmpxchg|xchg)_relaxed\(/, '$1_acquire('],
    [/r0 = \*(\w+);|r0 = READ_ONCE\(\*(\w+)\);/, 'r0 = smp_load_acquire($1$2);'],
    [/r0 = cmpxchg\((\w+), 0, 2\);/, 'r0 = xchg($1, 3);'],
  ];
  let decided = 0;
  for (const name of ['unlock-release.c', 'relaxed-acquire.c', 'wait-acquire.c', 'failed-cmpxchg.c']) {
    const findings = await runChecksOnSource(readFileSync(dir + name, 'utf8'), { checks, file: name });
    for (const f of findings) {
      const litmus = f.reproduction.litmus!;
      assert.equal(decideLitmus(litmus).observation, 'Sometimes', `${name}:${f.line}\n${litmus}`);
      // Fix the code part only (the comment quotes the patch's own calls).
      const cut = litmus.indexOf('*)') + 2;
      let code = litmus.slice(cut);
      for (const [re, to] of fixes) if (re.test(code)) code = code.replace(re, to);
      const fixed = litmus.slice(0, cut) + code;
      assert.notEqual(fixed, litmus);
      assert.equal(decideLitmus(fixed).observation, 'Never', `${name}:${f.line} fixed\n${fixed}`);
      decided++;
    }
  }
  assert.ok(decided >= 10);
});

test('hunk-only: an unlock whose lock is out of view is known by its LOCK bit', async () => {
  const patch = (line: string) =>
    [
      'diff --git a/drivers/x/y.c b/drivers/x/y.c',
      '--- a/drivers/x/y.c',
      '+++ b/drivers/x/y.c',
      '@@ -120,4 +120,4 @@ static void y_finish(struct y_dev *y)',
      ' \ty->count++;',
      ' \ty_update(y);',
      '-\tclear_bit_unlock(Y_STATE_LOCKED, &y->state);',
      `+\t${line}`,
      ' }',
      '',
    ].join('\n');
  const bad = await runChecksOnPatch(patch('clear_bit(Y_STATE_LOCKED, &y->state);'), { checks });
  assert.deepEqual(bad.map((f) => [f.ruleId, f.line, f.function]), [['bitlock-unlock-without-release', 122, 'y_finish']]);
  assert.equal(decideLitmus(bad[0]!.reproduction.litmus!).observation, 'Sometimes');
  assert.deepEqual(await runChecksOnPatch(patch('clear_bit_unlock(Y_STATE_LOCKED, &y->state);'), { checks }), []);
  assert.deepEqual(await runChecksOnPatch(patch('clear_bit(Y_STATE_DIRTY, &y->state);'), { checks }), []);
});
