// computeSummaries over parsed C: sleeping chains one and two calls deep, RT-only sleeping,
// gfp masks forwarded through a parameter, acquired lock classes (rebased onto the caller's
// argument for untyped parameters), SRCU read sides and grace-period waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelUnit, wholeFileUnit } from '../../src/engine/index.js';
import { computeSummaries, gfpMaySleep, isSleepSummary } from '../../src/engine/summaries.js';
import { loadKnowledgeBase } from '../../src/kb/index.js';

async function summaries(code: string) {
  const kb = await loadKnowledgeBase();
  const unit = wholeFileUnit('test.c', 1, code, 'all');
  const parsed = await modelUnit(unit, kb);
  try {
    return computeSummaries(parsed.functions, kb);
  } finally {
    parsed.tree.delete();
  }
}

const code = `
struct foo { struct mutex m; spinlock_t lock; raw_spinlock_t raw; struct srcu_struct srcu; };

static void level2(struct foo *f) { mutex_lock(&f->m); mutex_unlock(&f->m); }
static void level1(struct foo *f) { level2(f); }
static void top(struct foo *f) { level1(f); }
static void too_deep(struct foo *f) { top(f); }
static void rt_only(struct foo *f) { spin_lock(&f->lock); spin_unlock(&f->lock); }
static void raw_only(struct foo *f) { raw_spin_lock(&f->raw); raw_spin_unlock(&f->raw); }
static void *alloc_with(gfp_t gfp) { return kmalloc(8, gfp); }
static void *alloc_kernel(void) { return alloc_with(GFP_KERNEL); }
static void *alloc_atomic(void) { return alloc_with(GFP_ATOMIC); }
static void reader(struct foo *f) { int idx = srcu_read_lock(&f->srcu); srcu_read_unlock(&f->srcu, idx); }
static void waiter(struct foo *f) { synchronize_srcu(&f->srcu); }
static void untyped_lock(priv_t *p) { spin_lock(&p->lock); spin_unlock(&p->lock); }
static void caller_of_untyped(struct bar *dev) { untyped_lock(dev); }
`;

test('maySleep follows calls two levels deep, with the chain', async () => {
  const s = await summaries(code);
  assert.deepEqual(s.get('level2')?.maySleep?.chain, ['mutex_lock']);
  assert.deepEqual(s.get('level1')?.maySleep?.chain, ['level2', 'mutex_lock']);
  assert.deepEqual(s.get('top')?.maySleep?.chain, ['level1', 'level2', 'mutex_lock']);
  assert.equal(s.get('too_deep')?.maySleep, null, 'three calls away is beyond the summary depth');
});

test('maySleepOnRT: spinlock_t sleeps on RT, raw_spinlock_t never', async () => {
  const s = await summaries(code);
  assert.equal(s.get('rt_only')?.maySleep, null);
  assert.deepEqual(s.get('rt_only')?.maySleepOnRT?.chain, ['spin_lock']);
  assert.equal(s.get('raw_only')?.maySleepOnRT, null);
  assert.equal(s.get('raw_only')?.maySleep, null);
});

test('gfp masks: a forwarded parameter sleeps only when the caller passes a sleeping mask', async () => {
  const s = await summaries(code);
  const w = s.get('alloc_with');
  assert.equal(w?.maySleep, null);
  assert.ok(isSleepSummary(w) && w.gfpParam?.arg === 0);
  assert.deepEqual(s.get('alloc_kernel')?.maySleep?.chain, ['alloc_with', 'kmalloc']);
  assert.equal(s.get('alloc_atomic')?.maySleep, null);
  assert.equal(gfpMaySleep('GFP_KERNEL | __GFP_ZERO'), true);
  assert.equal(gfpMaySleep('GFP_NOWAIT'), false);
  assert.equal(gfpMaySleep('GFP_KERNEL & ~__GFP_DIRECT_RECLAIM'), false);
  assert.equal(gfpMaySleep('in_task() ? GFP_KERNEL : GFP_ATOMIC'), null);
  assert.equal(gfpMaySleep('flags'), null);
});

test('acquires, SRCU read sides and syncs, rebased onto the caller', async () => {
  const s = await summaries(code);
  const acq = s.get('top')?.acquires ?? [];
  assert.equal(acq.length, 1);
  assert.equal(acq[0]!.kind, 'mutex');
  assert.match(acq[0]!.lockClass, /foo(::|->)m$/);
  assert.deepEqual(acq[0]!.chain, ['level1', 'level2', 'mutex_lock']);
  assert.deepEqual(s.get('reader')?.srcuReadSides.map((r) => r.ssp), ['f->srcu']);
  assert.deepEqual(s.get('waiter')?.srcuSyncs.map((r) => r.chain), [['synchronize_srcu']]);
  assert.equal(s.get('waiter')?.maySleep?.chain[0], 'synchronize_srcu');
  const rebased = s.get('caller_of_untyped')?.acquires.map((a) => a.lockClass);
  assert.deepEqual(rebased, ['bar::lock']);
});
