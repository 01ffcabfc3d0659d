// Hunk-only shapes of the srcu family: a reverted fix whose diff only deletes the unlock on an
// error path must still be caught, and the fixed patch must stay silent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks } from '../../../src/checks/srcu/index.js';
import { runChecksOnPatch } from '../../helpers/check-tester.js';

const header = [
  'diff --git a/arch/x86/kvm/x86.c b/arch/x86/kvm/x86.c',
  'index 1111111..2222222 100644',
  '--- a/arch/x86/kvm/x86.c',
  '+++ b/arch/x86/kvm/x86.c',
];

const buggy = [
  ...header,
  '@@ -100,11 +100,9 @@ static int kvm_vcpu_ioctl_x86_set_mce(struct kvm_vcpu *vcpu, u64 mce)',
  ' 	int idx, r;',
  ' ',
  ' 	idx = srcu_read_lock(&vcpu->kvm->srcu);',
  ' 	r = kvm_vcpu_read_guest(vcpu, mce, &val, sizeof(val));',
  '-	if (r) {',
  '-		srcu_read_unlock(&vcpu->kvm->srcu, idx);',
  '+	if (r)',
  ' 		return r;',
  '-	}',
  ' 	srcu_read_unlock(&vcpu->kvm->srcu, idx);',
  ' 	vcpu->arch.mce = val;',
  ' 	return 0;',
  '',
].join('\n');

const fixed = [
  ...header,
  '@@ -100,9 +100,11 @@ static int kvm_vcpu_ioctl_x86_set_mce(struct kvm_vcpu *vcpu, u64 mce)',
  ' 	int idx, r;',
  ' ',
  ' 	idx = srcu_read_lock(&vcpu->kvm->srcu);',
  ' 	r = kvm_vcpu_read_guest(vcpu, mce, &val, sizeof(val));',
  '-	if (r)',
  '+	if (r) {',
  '+		srcu_read_unlock(&vcpu->kvm->srcu, idx);',
  ' 		return r;',
  '+	}',
  ' 	srcu_read_unlock(&vcpu->kvm->srcu, idx);',
  ' 	vcpu->arch.mce = val;',
  ' 	return 0;',
  '',
].join('\n');

test('an error-path return that skips srcu_read_unlock() is flagged on the return, as introduced', async () => {
  const findings = await runChecksOnPatch(buggy, { checks });
  assert.deepEqual(findings.map((f) => [f.ruleId, f.line, f.function, f.introduced]), [['srcu-read-lock-unbalanced', 105, 'kvm_vcpu_ioctl_x86_set_mce', true]]);
  const il = findings[0]!.reproduction.interleaving!;
  assert.equal(il.steps[0]!.line, 102);
  assert.match(il.outcome, /never returns/);
});

test('the fixed error path is silent', async () => {
  const findings = await runChecksOnPatch(fixed, { checks });
  assert.deepEqual(findings.map((f) => `${f.ruleId}:${f.line}`), []);
});

const slotsInsideSrcu = (lock: string): string =>
  [
    ...header,
    '@@ -200,6 +200,8 @@ static int kvm_handle_hypercall_map(struct kvm_vcpu *vcpu, gpa_t gpa)',
    ' 	int idx, r;',
    ' ',
    ' 	idx = srcu_read_lock(&vcpu->kvm->srcu);',
    `+	mutex_lock(&vcpu->kvm->${lock});`,
    ' 	r = kvm_map_gpa(vcpu, gpa);',
    `+	mutex_unlock(&vcpu->kvm->${lock});`,
    ' 	srcu_read_unlock(&vcpu->kvm->srcu, idx);',
    ' 	return r;',
    '',
  ].join('\n');

test('kvm->slots_lock taken inside a kvm->srcu read side breaks the documented order (locking.rst)', async () => {
  const findings = await runChecksOnPatch(slotsInsideSrcu('slots_lock'), { checks });
  assert.deepEqual(findings.map((f) => [f.ruleId, f.line]), [['srcu-sync-lock-inversion', 203]]);
  const f = findings[0]!;
  assert.match(f.message, /Documentation\/virt\/kvm\/locking\.rst/);
  const il = f.reproduction.interleaving!;
  assert.deepEqual(il.cpus, ['CPU0', 'CPU1']);
  assert.equal(il.outcome, '*** DEADLOCK ***');
  assert.match(il.steps.at(-1)!.action, /synchronize_srcu\(&kvm->srcu\)/);
});

test('kvm->slots_arch_lock inside the read side is allowed (released before synchronize_srcu)', async () => {
  const findings = await runChecksOnPatch(slotsInsideSrcu('slots_arch_lock'), { checks });
  assert.deepEqual(findings.map((f) => `${f.ruleId}:${f.line}`), []);
});
