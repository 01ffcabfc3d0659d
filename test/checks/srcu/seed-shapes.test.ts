// Seed shapes of the srcu family, written as patches and analysed in hunk-only mode:
//  - 2026-05-30 (Bonzini): synchronize_srcu() from gpc_unmap(), reached inside the kvm->srcu read
//    side: flagged; the fixed form waits on a separate srcu_struct (gpc_srcu).
//  - 2026-02-18 (Kalyazin): synchronize_srcu_expedited() per device registration on the
//    vCPU-creation path: flagged; the fixed form frees the old bus with call_srcu().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks } from '../../../src/checks/srcu/index.js';
import { runChecksOnPatch } from '../../helpers/check-tester.js';

/** A patch that adds `body` after the first line of `file`. */
function addingPatch(file: string, body: string[]): string {
  return [
    `diff --git a/${file} b/${file}`,
    'index 1111111..2222222 100644',
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -1,2 +1,${2 + body.length} @@`,
    ' #include <linux/kvm_host.h>',
    ...body.map((l) => `+${l}`),
    ' ',
    '',
  ].join('\n');
}

const gpcPatch = (unmapSrcu: string): string =>
  addingPatch('virt/kvm/pfncache.c', [
    'static void gpc_unmap(struct gfn_to_pfn_cache *gpc)',
    '{',
    '	gpc->khva = NULL;',
    `	synchronize_srcu_expedited(&gpc->kvm->${unmapSrcu});`,
    '}',
    '',
    'int kvm_gpc_refresh(struct gfn_to_pfn_cache *gpc, unsigned long len)',
    '{',
    '	struct kvm *kvm = gpc->kvm;',
    '	int idx, ret;',
    '',
    '	idx = srcu_read_lock(&kvm->srcu);',
    '	ret = __kvm_gpc_refresh(gpc, gpc->gpa, len);',
    '	if (ret)',
    '		gpc_unmap(gpc);',
    '	srcu_read_unlock(&kvm->srcu, idx);',
    '	return ret;',
    '}',
  ]);

test('synchronize_srcu() reached through a callee inside the kvm->srcu read side is a self-deadlock', async () => {
  const findings = await runChecksOnPatch(gpcPatch('srcu'), { checks });
  const f = findings.filter((x) => x.ruleId === 'srcu-sync-in-read-side');
  assert.equal(f.length, 1, JSON.stringify(findings.map((x) => [x.ruleId, x.line, x.message])));
  const hit = f[0]!;
  assert.equal(hit.function, 'kvm_gpc_refresh');
  assert.equal(hit.line, 16); // the gpc_unmap(gpc) call
  assert.equal(hit.severity, 'error');
  const il = hit.reproduction.interleaving!;
  assert.equal(il.outcome, '*** DEADLOCK ***');
  assert.deepEqual(il.steps.map((s) => s.line), [13, 16]);
  assert.match(il.steps[0]!.action, /srcu_read_lock\(&kvm->srcu\)/);
  assert.deepEqual(hit.reproduction.chain?.slice(0, 2), ['kvm_gpc_refresh()', 'gpc_unmap()']);
});

test('waiting on a separate srcu_struct (gpc_srcu) inside the kvm->srcu read side is silent', async () => {
  const findings = await runChecksOnPatch(gpcPatch('gpc_srcu'), { checks });
  assert.deepEqual(findings.filter((x) => x.severity !== 'info').map((x) => `${x.ruleId}:${x.line}`), []);
});

const busPatch = (reclaim: 'sync' | 'call'): string =>
  addingPatch('virt/kvm/kvm_main.c', [
    'int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx, gpa_t addr, int len, struct kvm_io_device *dev)',
    '{',
    '	struct kvm_io_bus *new_bus, *bus;',
    '',
    '	bus = kvm_get_bus(kvm, bus_idx);',
    '	new_bus = kvm_io_bus_insert(bus, addr, len, dev);',
    '	if (!new_bus)',
    '		return -ENOMEM;',
    '	rcu_assign_pointer(kvm->buses[bus_idx], new_bus);',
    ...(reclaim === 'sync' ? ['	synchronize_srcu_expedited(&kvm->srcu);', '	kfree(bus);'] : ['	call_srcu(&kvm->srcu, &bus->rcu, __free_bus);']),
    '	return 0;',
    '}',
    '',
    'static int kvm_vcpu_register_mmio(struct kvm_vcpu *vcpu, struct kvm_io_device *devs, int n)',
    '{',
    '	int i, r;',
    '',
    '	mutex_lock(&vcpu->kvm->slots_lock);',
    '	for (i = 0; i < n; i++) {',
    '		r = kvm_io_bus_register_dev(vcpu->kvm, KVM_MMIO_BUS, devs[i].addr, 8, &devs[i]);',
    '		if (r)',
    '			break;',
    '	}',
    '	mutex_unlock(&vcpu->kvm->slots_lock);',
    '	return r;',
    '}',
  ]);

test('synchronize_srcu_expedited() per device registration on the vCPU-creation path is flagged', async () => {
  const findings = await runChecksOnPatch(busPatch('sync'), { checks });
  const hot = findings.filter((x) => x.ruleId === 'srcu-sync-hot-path');
  assert.equal(hot.length, 1, JSON.stringify(findings.map((x) => [x.ruleId, x.line, x.message])));
  assert.equal(hot[0]!.function, 'kvm_vcpu_register_mmio');
  assert.match(hot[0]!.message, /every iteration of the loop/);
  assert.ok(hot[0]!.reproduction.chain?.includes('kvm_io_bus_register_dev()'));
  // The grace period only protects the kfree(): the deferred form is suggested too.
  assert.ok(findings.some((x) => x.ruleId === 'srcu-sync-before-free' && x.function === 'kvm_io_bus_register_dev'));
});

test('registration that frees the old bus with call_srcu() is silent', async () => {
  const findings = await runChecksOnPatch(busPatch('call'), { checks });
  assert.deepEqual(findings.map((x) => `${x.ruleId}:${x.line}`), []);
});
