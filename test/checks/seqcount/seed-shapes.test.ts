// Seed shape (2026-05-30 thread, Bonzini): raw_seqcount_try_begin() on a seqcount_spinlock_t in
// atomic context, as a patch in hunk-only mode. On PREEMPT_RT the reader takes the spinlock_t when
// it sees a writer, which sleeps; the fixed form uses a seqcount_raw_spinlock_t.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks } from '../../../src/checks/seqcount/index.js';
import { runChecksOnPatch } from '../../helpers/check-tester.js';

function pfncachePatch(counterType: 'spinlock' | 'raw_spinlock'): string {
  const body = [
    '+void kvm_gpc_init_sc(struct gfn_to_pfn_cache *gpc)',
    '+{',
    `+	seqcount_${counterType}_init(&gpc->sc, &gpc->refresh_lock);`,
    '+}',
    '+',
    '+bool kvm_gpc_snapshot(struct gfn_to_pfn_cache *gpc, struct kvm_cached_gva_map *ret)',
    '+{',
    '+	unsigned long flags;',
    '+	unsigned int seq;',
    '+',
    '+	raw_spin_lock_irqsave(&gpc->kvm->arch.xen.evtchn_lock, flags);',
    '+	if (!raw_seqcount_try_begin(&gpc->sc, seq))',
    '+		goto out_fail;',
    '+	ret->khva = gpc->khva;',
    '+	ret->uhva = gpc->uhva;',
    '+	if (read_seqcount_retry(&gpc->sc, seq))',
    '+		goto out_fail;',
    '+	raw_spin_unlock_irqrestore(&gpc->kvm->arch.xen.evtchn_lock, flags);',
    '+	return true;',
    '+',
    '+out_fail:',
    '+	raw_spin_unlock_irqrestore(&gpc->kvm->arch.xen.evtchn_lock, flags);',
    '+	return false;',
    '+}',
  ];
  return [
    'diff --git a/virt/kvm/pfncache.c b/virt/kvm/pfncache.c',
    'index 1111111..2222222 100644',
    '--- a/virt/kvm/pfncache.c',
    '+++ b/virt/kvm/pfncache.c',
    `@@ -20,6 +20,${7 + body.length} @@`,
    ' #include "kvm_mm.h"',
    ' ',
    ...body,
    '+',
    ' /*',
    '  * MMU notifier',
    '  */',
    ' void gfn_to_pfn_cache_invalidate_start(struct kvm *kvm, unsigned long start,',
    '',
  ].join('\n');
}

test('raw_seqcount_try_begin on a seqcount_spinlock_t under a raw spinlock is flagged, with an RT chain and splat', async () => {
  const findings = await runChecksOnPatch(pfncachePatch('spinlock'), { checks });
  const f = findings.filter((x) => x.ruleId === 'seqcount-reader-atomic-rt');
  assert.equal(f.length, 1, JSON.stringify(findings.map((x) => [x.ruleId, x.line, x.message])));
  const hit = f[0]!;
  assert.equal(hit.function, 'kvm_gpc_snapshot');
  assert.match(hit.message, /raw_seqcount_try_begin\(\) reads gpc->sc, a seqcount_spinlock_t/);
  assert.ok(hit.reproduction.configs?.includes('CONFIG_PREEMPT_RT'));
  assert.ok(hit.reproduction.chain?.some((c) => c.includes('raw_spin_lock_irqsave')));
  assert.match(hit.reproduction.splat ?? '', /sleeping function called from invalid context/);
  assert.equal(hit.reproduction.interleaving?.outcome, 'BUG: sleeping function called from invalid context');
  assert.ok(hit.introduced);
});

test('the same reader on a seqcount_raw_spinlock_t stays silent', async () => {
  const findings = await runChecksOnPatch(pfncachePatch('raw_spinlock'), { checks });
  assert.deepEqual(findings.map((x) => `${x.ruleId}:${x.line}`), []);
});
