// lock-order-abba: the fixture file (direct, through a helper, against KVM's documented order, and
// near misses), an ABBA split across two patches of a series (hunk-only), and the 2021-04-19 seed
// shape: an rwsem taken in an MMU-notifier callback against the notifier's own lockdep map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertFixture, patchFromDiff } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/lock-order/index.js';
import { analyzeSeries, analyzeUnits, wholeFileUnit } from '../../../src/engine/index.js';
import { loadKnowledgeBase } from '../../../src/kb/index.js';
import type { Series } from '../../../src/model/index.js';

const fixtures = join(import.meta.dirname, '../../fixtures/checks/lock-order');

test('lock-order fixture: cycles found, near misses silent, lockdep scenario table', async () => {
  const findings = await assertFixture(join(fixtures, 'abba.c'), checks);
  assert.equal(findings.length, 3);
  for (const f of findings) {
    const il = f.reproduction.interleaving;
    assert.ok(il, 'every finding has an interleaving');
    assert.equal(il.title, 'possible unsafe locking scenario');
    assert.equal(il.outcome, '*** DEADLOCK ***');
    assert.deepEqual(il.cpus, ['CPU0', 'CPU1']);
    assert.equal(il.steps.length, 4);
    assert.equal(f.reproduction.chain?.length, 2, 'one call chain per edge');
  }
  const direct = findings.find((f) => f.function === 'dev_a_then_b')!;
  assert.deepEqual(
    direct.reproduction.interleaving!.steps.map((s) => [s.cpu, s.action]),
    [
      [0, 'spin_lock(&d->a);'],
      [1, 'spin_lock(&d->b);'],
      [0, 'spin_lock(&d->b);'],
      [1, 'spin_lock(&d->a);'],
    ],
  );
  const helper = findings.find((f) => f.function === 'dev_m1_then_helper')!;
  assert.match(helper.reproduction.chain![0]!, /dev_take_m2\(\) -> mutex_lock\(&dev::m2\)/);
  const kvm = findings.find((f) => f.function === 'vcpu_load_under_kvm_lock')!;
  assert.match(kvm.message, /locking\.rst/);
  assert.match(kvm.reproduction.chain![1]!, /documented: kvm->lock before/);
});

test('an ABBA split across two patches of a series is reported on the patch that closes the cycle', async () => {
  const p1 = `diff --git a/drivers/foo/foo.c b/drivers/foo/foo.c
--- a/drivers/foo/foo.c
+++ b/drivers/foo/foo.c
@@ -9,6 +9,9 @@ struct foo_dev *foo_get(void);
 static void foo_stats(struct foo_dev *fd)
 {
 	spin_lock(&fd->stats_lock);
+	spin_lock(&fd->queue_lock);
+	fd->queued = fd->pending;
+	spin_unlock(&fd->queue_lock);
 	fd->stats++;
 	spin_unlock(&fd->stats_lock);
 }
`;
  const p2 = `diff --git a/drivers/foo/foo.c b/drivers/foo/foo.c
--- a/drivers/foo/foo.c
+++ b/drivers/foo/foo.c
@@ -39,6 +39,9 @@ static int foo_init(struct foo_dev *fd)
 static void foo_enqueue(struct foo_dev *fd, struct foo_req *req)
 {
 	spin_lock(&fd->queue_lock);
 	list_add_tail(&req->node, &fd->queue);
+	spin_lock(&fd->stats_lock);
+	fd->stats_enqueued++;
+	spin_unlock(&fd->stats_lock);
 	spin_unlock(&fd->queue_lock);
 }
`;
  const series: Series = { subject: 'foo', messageId: null, version: 1, prefixes: [], cover: null, baseCommit: null, patches: [patchFromDiff(p1, 1, 2), patchFromDiff(p2, 2, 2)], missing: [], notes: [], source: 'test' };
  const kb = await loadKnowledgeBase();
  const r = await analyzeSeries(series, { sources: null, kb, checks });
  const abba = r.findings.filter((f) => f.ruleId === 'lock-order-abba');
  assert.ok(abba.length >= 1, JSON.stringify(r.findings.map((f) => f.message)));
  const f = abba[0]!;
  assert.ok(f.introduced);
  assert.match(f.message, /fd->queue_lock|fd->stats_lock/);
  const actions = f.reproduction.interleaving!.steps.map((s) => s.action).join(' ');
  assert.match(actions, /spin_lock\(&fd->stats_lock\)/);
  assert.match(actions, /spin_lock\(&fd->queue_lock\)/);
  // The cycle is one problem: reported once, however many of its edges the series added.
  assert.equal(abba.length, 1);
});

test('seed 2021-04-19: an rwsem taken inside an MMU-notifier callback against the notifier lockdep map', async () => {
  // Our own reduction: mmu_notifier_invalidate_range_start() runs the callbacks inside a lockdep
  // map (a pseudo-lock); KVM's callback takes mmu_notifier_slots_lock for read and keeps it until
  // range_end, which takes the map again. The map is described as a lock with a user fact, the way
  // a subsystem adds its own primitives.
  const code = `
struct kvm { struct rw_semaphore mmu_notifier_slots_lock; };
static struct lockdep_map mn_start_map;

static void kvm_mn_invalidate_range_start(struct kvm *kvm)
{
	down_read(&kvm->mmu_notifier_slots_lock);
	kvm->mn_active++;
	up_read(&kvm->mmu_notifier_slots_lock);
}

static void mn_invalidate_range_start(struct kvm *kvm)
{
	lock_map_acquire(&mn_start_map);
	kvm_mn_invalidate_range_start(kvm);
	lock_map_release(&mn_start_map);
}

static void mn_range_start_to_end(struct kvm *kvm)
{
	down_read(&kvm->mmu_notifier_slots_lock);
	lock_map_acquire(&mn_start_map);
	lock_map_release(&mn_start_map);
	up_read(&kvm->mmu_notifier_slots_lock);
}
`;
  const kb = await loadKnowledgeBase({
    primitives: [
      { name: 'lock_map_acquire', family: 'lockdep', op: 'lock', ordering: 'none', kind: 'mutex', lockArg: 0 },
      { name: 'lock_map_release', family: 'lockdep', op: 'unlock', ordering: 'none', kind: 'mutex', lockArg: 0 },
    ],
  });
  const lines = code.split('\n');
  const changed = new Set([lines.findIndex((l) => l.includes('down_read(&kvm->mmu_notifier_slots_lock);')) + 1]);
  const unit = wholeFileUnit('virt/kvm/kvm_main.c', 1, code, changed);
  const notes: string[] = [];
  const { sink } = await analyzeUnits([unit], kb, checks, notes);
  const f = sink.findings.find((x) => x.ruleId === 'lock-order-abba');
  assert.ok(f, `expected a cycle; notes: ${notes.join('; ')}`);
  assert.equal(f.function, 'kvm_mn_invalidate_range_start');
  assert.match(f.message, /mn_start_map/);
  assert.match(f.message, /mmu_notifier_slots_lock/);
});
