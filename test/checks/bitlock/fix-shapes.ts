// Hunk-shaped cases of real bitlock-class ordering fixes (bit locks, hand-rolled locks, hand-over
// flags), written for this project (no kernel code copied): each is a small unified diff as a
// reversed fix would show it (the buggy line on the + side, the hunk header naming the function,
// three lines of context) and its fixed counterpart. `rule` is the finding the buggy form must draw
// on `line` (post-image); the fixed form must draw none. `knownMiss` marks a shape the checks do
// not find yet, with the reason: the suite asserts the miss so that it stays honest and notices
// when the shape starts being found. Used by fix-shapes.test.ts.
import { oneHunkDiff, postImageLines, swap } from '../../helpers/one-hunk-diff.js';

export type BitlockRule = 'bitlock-unlock-without-release' | 'bitlock-relaxed-acquire' | 'bitlock-wait-without-acquire' | 'bitlock-failed-cmpxchg-ordering' | 'bitlock-wake-without-barrier';

export interface FixShape {
  name: string;
  rule: BitlockRule;
  /** Post-image line of the buggy form the finding belongs on. */
  line: number;
  buggy: string;
  fixed: string;
  knownMiss?: string;
}


/** Post-image line of the first line of the buggy form that contains `marker` (the first added
 *  line when no marker is given). */
function lineOf(text: string, marker?: string): number {
  const hit = postImageLines(text).find((l) => (marker ? l.raw.includes(marker) : l.added));
  if (!hit) throw new Error(`no line ${marker ?? 'added'}`);
  return hit.line;
}

function shape(name: string, rule: BitlockRule, file: string, start: number, header: string, body: string[], s: { bug: string[]; fix: string[] }, opts: { at?: string; knownMiss?: string } = {}): FixShape {
  const d = oneHunkDiff(file, start, header, body, s.bug, s.fix);
  return { name, rule, line: lineOf(d.buggy, opts.at), ...d, ...(opts.knownMiss ? { knownMiss: opts.knownMiss } : {}) };
}

export const FIX_SHAPES: FixShape[] = [
  // --- releases ---------------------------------------------------------------------------
  shape('clear_bit -> clear_bit_unlock: bit lock taken and released in one function', 'bitlock-unlock-without-release',
    'drivers/net/ethernet/acme/acme_ring.c', 310, 'static int acme_ring_refill(struct acme_ring *ring)',
    ['\tif (test_and_set_bit_lock(ACME_RING_LOCKED, &ring->state))', '\t\treturn -EBUSY;', '\tring->next_to_fill = acme_fill(ring);', '\tring->stats.refills++;', '@@BUG@@', '\treturn 0;', '}'],
    swap('\tclear_bit_unlock(ACME_RING_LOCKED, &ring->state);', '\tclear_bit(ACME_RING_LOCKED, &ring->state);')),
  shape('clear_bit -> clear_bit_unlock in an unlock helper (acquisition out of view)', 'bitlock-unlock-without-release',
    'fs/acme/acme_journal.c', 122, 'static inline void acme_journal_unlock(struct acme_journal *j)',
    ['{', '\tj->owner = NULL;', '@@BUG@@', '\twake_up_bit(&j->flags, ACME_JOURNAL_LOCKED);', '}'],
    { bug: ['-\tclear_bit_unlock(ACME_JOURNAL_LOCKED, &j->flags);', '-\tsmp_mb__after_atomic();', '+\tclear_bit(ACME_JOURNAL_LOCKED, &j->flags);'], fix: [' \tclear_bit_unlock(ACME_JOURNAL_LOCKED, &j->flags);', ' \tsmp_mb__after_atomic();'] }),
  shape('smp_mb__before_atomic() dropped before clear_bit of a lock bit', 'bitlock-unlock-without-release',
    'drivers/md/acme-cache.c', 880, 'static void acme_cache_put_block(struct acme_cache *c, struct acme_block *b)',
    ['\tif (test_and_set_bit(ACME_BLOCK_LOCKED, &b->flags))', '\t\treturn;', '\tb->dirty = false;', '\tlist_move_tail(&b->lru, &c->clean);', '@@BUG@@', '\tclear_bit(ACME_BLOCK_LOCKED, &b->flags);', '}'],
    { bug: ['-\tsmp_mb__before_atomic();'], fix: [' \tsmp_mb__before_atomic();'] }, { at: 'clear_bit(ACME_BLOCK_LOCKED' }),
  shape('smp_wmb() instead of smp_mb__before_atomic() before clear_bit (reads leak out)', 'bitlock-unlock-without-release',
    'drivers/gpu/drm/acme/acme_fence.c', 402, 'static u32 acme_fence_collect(struct acme_fence_ctx *fctx)',
    ['\tif (test_and_set_bit(ACME_FCTX_BUSY, &fctx->flags))', '\t\treturn 0;', '\tseq = READ_ONCE(fctx->hw_seq);', '@@BUG@@', '\tclear_bit(ACME_FCTX_BUSY, &fctx->flags);', '\treturn seq;'],
    swap('\tsmp_mb__before_atomic();', '\tsmp_wmb();'), { at: 'clear_bit(ACME_FCTX_BUSY' }),
  shape('WRITE_ONCE -> smp_store_release on a cmpxchg-taken owner word', 'bitlock-unlock-without-release',
    'kernel/acme/acme_owner.c', 64, 'static void acme_owner_run(struct acme_ctl *ctl, struct task_struct *tsk)',
    ['\tif (cmpxchg(&ctl->owner, NULL, tsk) != NULL)', '\t\treturn;', '\tctl->generation++;', '\tacme_apply(ctl);', '@@BUG@@', '}'],
    swap('\tsmp_store_release(&ctl->owner, NULL);', '\tWRITE_ONCE(ctl->owner, NULL);')),
  shape('atomic_set -> atomic_set_release on an atomic_t claimed with atomic_cmpxchg_acquire', 'bitlock-unlock-without-release',
    'drivers/hwtracing/acme/acme-core.c', 530, 'static int acme_trace_set_filter(struct acme_tracer *t, u32 filter)',
    ['\tif (atomic_cmpxchg_acquire(&t->mode, ACME_MODE_IDLE, ACME_MODE_CONFIG) != ACME_MODE_IDLE)', '\t\treturn -EBUSY;', '\tt->cfg.filter = filter;', '\tacme_hw_write_cfg(t);', '@@BUG@@', '\treturn 0;', '}'],
    swap('\tatomic_set_release(&t->mode, ACME_MODE_IDLE);', '\tatomic_set(&t->mode, ACME_MODE_IDLE);')),
  shape('atomic_set -> atomic_set_release on an error back-out only (release of the normal path elsewhere)', 'bitlock-unlock-without-release',
    'drivers/hwtracing/acme/acme-core.c', 560, 'static int acme_trace_enable(struct acme_tracer *t, int mode)',
    ['\tif (atomic_cmpxchg_acquire(&t->mode, ACME_MODE_IDLE, mode) != ACME_MODE_IDLE)', '\t\treturn -EBUSY;', '\tt->cfg.mode = mode;', '\tret = acme_hw_start(t);', '\tif (ret)', '@@BUG@@', '\treturn ret;'],
    swap('\t\tatomic_set_release(&t->mode, ACME_MODE_IDLE);', '\t\tatomic_set(&t->mode, ACME_MODE_IDLE);'),
    { knownMiss: 'a claim with no lock-like name or constant counts as a lock only when the same function releases it on the claim\'s own path; a release only in an error branch looks like a "work pending" flag left to a callback (kernel/bpf/memalloc.c, kernel/sched/psi.c), and the disable path that really releases it is not in the hunk' }),
  shape('atomic_long_set -> atomic_long_set_release in the unlock of a try_cmpxchg lock', 'bitlock-unlock-without-release',
    'mm/acme_pool.c', 212, 'static void acme_pool_unlock(struct acme_pool *pool)',
    ['{', '\tpool->last_user = current->pid;', '@@BUG@@', '}', '', 'static bool acme_pool_trylock(struct acme_pool *pool)', '{', '\tlong free = 0;', '', '\treturn atomic_long_try_cmpxchg_acquire(&pool->lock_word, &free, 1);', '}'],
    swap('\tatomic_long_set_release(&pool->lock_word, 0);', '\tatomic_long_set(&pool->lock_word, 0);')),
  shape('plain store -> smp_store_release of a xchg-taken lock flag', 'bitlock-unlock-without-release',
    'drivers/virt/acme/acme_mbox.c', 150, 'static int acme_mbox_send(struct acme_mbox *mb, const void *msg, size_t len)',
    ['\tif (xchg_acquire(&mb->busy, 1))', '\t\treturn -EBUSY;', '\tmemcpy_toio(mb->tx, msg, len);', '\tmb->tx_seq++;', '\twritel(ACME_MBOX_DOORBELL, mb->ctrl);', '@@BUG@@', '\treturn 0;'],
    swap('\tsmp_store_release(&mb->busy, 0);', '\tmb->busy = 0;')),
  shape('local_set/local_cmpxchg -> atomic_t with RELEASE/ACQUIRE: mode word claimed and released', 'bitlock-unlock-without-release',
    'drivers/perf/acme_pmu.c', 300, 'static void acme_pmu_release_mode(struct acme_pmu *pmu)',
    ['{', '\tacme_pmu_stop_counters(pmu);', '@@BUG@@', '}'],
    {
      bug: ['-\tatomic_set_release(&pmu->mode, ACME_PMU_IDLE);', '+\tlocal_set(&pmu->mode, ACME_PMU_IDLE);', ' }', ' ', ' static bool acme_pmu_claim_mode(struct acme_pmu *pmu, int mode)', ' {', '-\tint idle = ACME_PMU_IDLE;', '-', '-\treturn atomic_try_cmpxchg_acquire(&pmu->mode, &idle, mode);', '+\treturn local_cmpxchg(&pmu->mode, ACME_PMU_IDLE, mode) == ACME_PMU_IDLE;'],
      fix: [' \tatomic_set_release(&pmu->mode, ACME_PMU_IDLE);', ' }', ' ', ' static bool acme_pmu_claim_mode(struct acme_pmu *pmu, int mode)', ' {', ' \tint idle = ACME_PMU_IDLE;', ' ', ' \treturn atomic_try_cmpxchg_acquire(&pmu->mode, &idle, mode);'],
    }, { at: 'local_set' }),
  shape('atomic_andnot -> atomic_fetch_andnot_release clearing the LOCKED bit of a lock word', 'bitlock-unlock-without-release',
    'kernel/acme/acme_bitlock.c', 118, 'static void acme_word_unlock(struct acme_word *aw)',
    ['{', '\t/* waiters spin on the word; the owner field is ours until the bit clears */', '\taw->owner = NULL;', '@@BUG@@', '}'],
    swap('\tatomic_fetch_andnot_release(ACME_WORD_LOCKED, &aw->val);', '\tatomic_andnot(ACME_WORD_LOCKED, &aw->val);')),
  shape('MCS-style hand-over: WRITE_ONCE(next->locked, 1) -> smp_store_release', 'bitlock-unlock-without-release',
    'kernel/acme/acme_mcs.c', 210, 'static void acme_mcs_unlock(struct acme_mcs_lock *lock, struct acme_mcs_node *node)',
    ['\t\tnext = READ_ONCE(node->next);', '\t\tif (next)', '\t\t\tbreak;', '\t\tcpu_relax();', '\t}', '@@BUG@@', '}'],
    swap('\tsmp_store_release(&next->locked, 1);', '\tWRITE_ONCE(next->locked, 1);'),
    { knownMiss: 'a hand-over store sets the waiter\'s flag (to 1) rather than freeing a claimed word: the word is no lock word (nothing claims it with an RMW), and the waiter that reads it is in another function often out of view' }),
  shape('atomic_sub -> atomic_sub_return_release in a reader unlock of a counting lock', 'bitlock-unlock-without-release',
    'kernel/acme/acme_rw.c', 95, 'static inline void acme_read_unlock(struct acme_rwlock *lock)',
    ['{', '\t/* atomically drop the reader count */', '@@BUG@@', '}'],
    swap('\t(void)atomic_sub_return_release(ACME_R_BIAS, &lock->cnts);', '\tatomic_sub(ACME_R_BIAS, &lock->cnts);'),
    { knownMiss: 'reader counts are no lock words in the model (only set-a-bit / compare-and-swap claims are): a relaxed atomic_sub/atomic_dec ending a read side is not a release candidate' }),
  // --- acquisitions -----------------------------------------------------------------------
  shape('atomic_cmpxchg_relaxed -> atomic_cmpxchg_acquire taking a lock after an acquire spin', 'bitlock-relaxed-acquire',
    'kernel/locking/acme_rwlock.c', 90, 'void acme_write_lock_slowpath(struct acme_rwlock *lock)',
    ['\t/* wait for the readers to drain, then take the lock */', '\tdo {', '@@BUG@@', '\t\t\t\t\tACME_W_LOCKED) != ACME_W_WAITING);', '\tacme_spin_unlock(&lock->wait_lock);', '}'],
    {
      bug: ['-\t\tatomic_cond_read_relaxed(&lock->cnts, VAL == ACME_W_WAITING);', '-\t} while (atomic_cmpxchg_acquire(&lock->cnts, ACME_W_WAITING,', '+\t\tatomic_cond_read_acquire(&lock->cnts, VAL == ACME_W_WAITING);', '+\t} while (atomic_cmpxchg_relaxed(&lock->cnts, ACME_W_WAITING,'],
      fix: [' \t\tatomic_cond_read_relaxed(&lock->cnts, VAL == ACME_W_WAITING);', ' \t} while (atomic_cmpxchg_acquire(&lock->cnts, ACME_W_WAITING,'],
    }, { at: 'atomic_cmpxchg_relaxed' }),
  shape('atomic_try_cmpxchg_relaxed -> atomic_try_cmpxchg_acquire in a trylock', 'bitlock-relaxed-acquire',
    'include/linux/acme_lock.h', 48, 'static inline bool acme_trylock(struct acme_lock *l)',
    ['{', '\tint val = 0;', '', '@@BUG@@', '}'],
    swap('\treturn atomic_try_cmpxchg_acquire(&l->val, &val, ACME_LOCKED_VAL);', '\treturn atomic_try_cmpxchg_relaxed(&l->val, &val, ACME_LOCKED_VAL);')),
  shape('xchg_relaxed -> xchg_acquire on an MCS-style locked byte', 'bitlock-relaxed-acquire',
    'kernel/acme/acme_mcs.c', 140, 'static bool acme_node_lock(struct acme_node *node)',
    ['{', '\tif (READ_ONCE(node->locked))', '\t\treturn false;', '@@BUG@@', '}'],
    swap('\treturn !xchg_acquire(&node->locked, 1);', '\treturn !xchg_relaxed(&node->locked, 1);')),
  shape('__test_and_set_bit (not atomic) -> test_and_set_bit_lock taking a bit lock', 'bitlock-relaxed-acquire',
    'drivers/scsi/acme/acme_io.c', 700, 'static int acme_tag_lock(struct acme_host *host, unsigned int tag)',
    ['{', '\tstruct acme_tag *t = &host->tags[tag];', '', '@@BUG@@', '\t\treturn -EAGAIN;', '\tt->owner = smp_processor_id();', '\treturn 0;'],
    swap('\tif (test_and_set_bit_lock(ACME_TAG_LOCKED, &t->flags))', '\tif (__test_and_set_bit(ACME_TAG_LOCKED, &t->flags))')),
  // --- waiters ----------------------------------------------------------------------------
  shape('sleep loop leaving on a plain read of waiter.task (rwsem-style hand-over)', 'bitlock-wait-without-acquire',
    'kernel/locking/acme_sem.c', 240, 'static int __acme_down_read_common(struct acme_sem *sem, int state)',
    ['\t/* the waker clears waiter.task once it granted us the lock */', '\tfor (;;) {', '\t\tset_current_state(state);', '@@BUG@@', '\t\t\tbreak;', '\t\tschedule();', '\t}'],
    swap('\t\tif (!smp_load_acquire(&waiter.task))', '\t\tif (!waiter.task)')),
  shape('READ_ONCE spin on an MCS node flag -> smp_cond_load_acquire', 'bitlock-wait-without-acquire',
    'kernel/acme/acme_mcs.c', 180, 'static void acme_mcs_lock(struct acme_mcs_lock *lock, struct acme_mcs_node *node)',
    ['\tif (!prev)', '\t\treturn;', '\tWRITE_ONCE(prev->next, node);', '@@BUG@@', '}'],
    { bug: ['-\tsmp_cond_load_acquire(&node->locked, VAL);', '+\twhile (!READ_ONCE(node->locked))', '+\t\tcpu_relax();'], fix: [' \tsmp_cond_load_acquire(&node->locked, VAL);'] }),
  shape('smp_cond_load_relaxed -> smp_cond_load_acquire waiting for a lock hand-over', 'bitlock-wait-without-acquire',
    'kernel/acme/acme_ticket.c', 75, 'static void acme_ticket_lock(struct acme_ticket *t)',
    ['\tu16 me = atomic_fetch_add(1, &t->next) & 0xffff;', '', '\t/* wait until the previous owner passes the ticket to us */', '@@BUG@@', '}'],
    swap('\tsmp_cond_load_acquire(&t->owner, VAL == me);', '\tsmp_cond_load_relaxed(&t->owner, VAL == me);')),
  shape('test_bit spin on a BUSY bit -> test_bit_acquire before reading the result', 'bitlock-wait-without-acquire',
    'drivers/crypto/acme/acme_hash.c', 420, 'static int acme_hash_wait_for_engine(struct acme_engine *eng)',
    ['\tint spins = 0;', '', '@@BUG@@', '\t\tcpu_relax();', '\treturn READ_ONCE(eng->result);', '}'],
    swap('\twhile (test_bit_acquire(ACME_ENGINE_BUSY, &eng->flags))', '\twhile (test_bit(ACME_ENGINE_BUSY, &eng->flags))')),
  shape('atomic_read spin then smp_acquire__after_ctrl_dep() dropped', 'bitlock-wait-without-acquire',
    'kernel/acme/acme_barrier.c', 96, 'static void acme_spin_acquire(struct acme_gate *g)',
    ['\twhile (atomic_read(&g->held))', '\t\tcpu_relax();', '@@BUG@@', '\tg->stats.acquired++;', '\tacme_gate_check(g, READ_ONCE(g->epoch));', '}'],
    { bug: ['-\tsmp_acquire__after_ctrl_dep();'], fix: [' \tsmp_acquire__after_ctrl_dep();'] }, { at: 'while (atomic_read(&g->held))' }),
  shape('READ_ONCE spin on a done flag, then the result it publishes read -> smp_load_acquire', 'bitlock-wait-without-acquire',
    'drivers/firmware/acme/acme_mbox.c', 330, 'static int acme_mbox_poll(struct acme_mbox_req *req)',
    ['\tunsigned int spins = 0;', '', '@@BUG@@', '\t\tcpu_relax();', '\treturn req->status;', '}'],
    swap('\twhile (!smp_load_acquire(&req->done))', '\twhile (!READ_ONCE(req->done))')),
  shape('slow path granting the lock on a relaxed read of the count (no loop), smp_acquire__after_ctrl_dep() dropped', 'bitlock-wait-without-acquire',
    'kernel/locking/acme_rwsem.c', 1010, 'static struct acme_rwsem *acme_down_read_slowpath(struct acme_rwsem *sem, long count, unsigned int state)',
    ['\t/* no writer and no waiters: the lock is ours without queueing */', '\tif (!(atomic_long_read(&sem->count) & ACME_WRITER_LOCKED)) {', '@@BUG@@', '\t\traw_spin_unlock_irq(&sem->wait_lock);', '\t\tacme_set_reader_owned(sem);', '\t\treturn sem;', '\t}'],
    { bug: ['-\t\t/* Provide lock ACQUIRE */', '-\t\tsmp_acquire__after_ctrl_dep();'], fix: [' \t\t/* Provide lock ACQUIRE */', ' \t\tsmp_acquire__after_ctrl_dep();'] },
    { at: 'atomic_long_read(&sem->count)', knownMiss: 'the check looks for wait loops and relaxed wait primitives; a one-shot `if (!(atomic_long_read(..) & LOCKED)) return sem;` that grants the lock without an RMW is no loop exit' }),
  // --- failed cmpxchg ----------------------------------------------------------------------
  shape('claim loop returning on PENDING after a failed atomic_cmpxchg -> atomic_fetch_or', 'bitlock-failed-cmpxchg-ordering',
    'kernel/acme/acme_defer.c', 40, 'static bool acme_defer_claim(struct acme_defer *d)',
    ['{', '\tint old, new, cur;', '', '@@BUG@@', '\treturn true;', '}'],
    {
      bug: ['-\told = atomic_fetch_or(ACME_DEFER_CLAIMED, &d->flags);', '-\tif (old & ACME_DEFER_PENDING)', '-\t\treturn false;', '+\tcur = atomic_read(&d->flags) & ~ACME_DEFER_PENDING;', '+\tfor (;;) {', '+\t\tnew = cur | ACME_DEFER_CLAIMED;', '+\t\told = atomic_cmpxchg(&d->flags, cur, new);', '+\t\tif (old == cur)', '+\t\t\tbreak;', '+\t\tif (old & ACME_DEFER_PENDING)', '+\t\t\treturn false;', '+\t\tcur = old;', '+\t}'],
      fix: ['-\told = atomic_fetch_or(ACME_DEFER_CLAIMED, &d->flags);', '+\told = atomic_fetch_or(ACME_DEFER_CLAIMED, &d->flags);', ' \tif (old & ACME_DEFER_PENDING)', ' \t\treturn false;'],
    }, { at: 'old = atomic_cmpxchg' }),
  shape('try_cmpxchg claim returning on QUEUED without smp_mb() on the failure path', 'bitlock-failed-cmpxchg-ordering',
    'net/acme/acme_napi.c', 610, 'static bool acme_napi_claim(struct acme_napi *an)',
    ['\tunsigned long val = READ_ONCE(an->state);', '', '\tdo {', '\t\tif (val & ACME_NAPI_QUEUED) {', '@@BUG@@', '\t\t\treturn false;', '\t\t}', '\t} while (!try_cmpxchg(&an->state, &val, val | ACME_NAPI_QUEUED));', '\treturn true;'],
    { bug: ['-\t\t\tsmp_mb();'], fix: [' \t\t\tsmp_mb();'] }, { at: 'try_cmpxchg(&an->state' }),
];

/** Lost wake-ups: wake_up_bit()/wake_up_var() read the wait queue, which must come after the store
 *  that ends the wait; without a full barrier a waiter that just checked the bit sleeps forever. */
export const WAKE_SHAPES: FixShape[] = [
  shape('clear_bit_unlock + wake_up_bit without smp_mb__after_atomic() (lost wake-up)', 'bitlock-wake-without-barrier',
    'fs/acme/acme_inode.c', 960, 'static void acme_inode_unlock_io(struct acme_inode *ai)',
    ['{', '\tclear_bit_unlock(ACME_INODE_IO_LOCK, &ai->flags);', '@@BUG@@', '\twake_up_bit(&ai->flags, ACME_INODE_IO_LOCK);', '}'],
    { bug: ['-\tsmp_mb__after_atomic();'], fix: [' \tsmp_mb__after_atomic();'] }, { at: 'wake_up_bit' }),
  shape('clear_bit + wake_up_bit -> clear_and_wake_up_bit', 'bitlock-wake-without-barrier',
    'drivers/block/acme/acme_blk.c', 415, 'static void acme_blk_end_reset(struct acme_blk *ab)',
    ['\tab->reset_count++;', '\tacme_blk_restart_queues(ab);', '', '@@BUG@@', '}'],
    { bug: ['-\tclear_and_wake_up_bit(ACME_BLK_RESETTING, &ab->flags);', '+\tclear_bit(ACME_BLK_RESETTING, &ab->flags);', '+\twake_up_bit(&ab->flags, ACME_BLK_RESETTING);'], fix: [' \tclear_and_wake_up_bit(ACME_BLK_RESETTING, &ab->flags);'] }, { at: 'wake_up_bit' }),
  shape('atomic_set + wake_up_var without smp_mb()', 'bitlock-wake-without-barrier',
    'kernel/acme/acme_quiesce.c', 88, 'static void acme_quiesce_done(struct acme_q *q)',
    ['\tacme_flush_pending(q);', '\tatomic_set(&q->quiescing, 0);', '@@BUG@@', '\twake_up_var(&q->quiescing);', '}'],
    { bug: ['-\tsmp_mb();'], fix: [' \tsmp_mb();'] }, { at: 'wake_up_var' }),
];

/** test_and_set_bit() is fully ordered (a value-returning atomic bitop), so turning it into
 *  test_and_set_bit_lock() is a relaxation, not an ordering fix: both forms must stay silent. */
export const NOT_A_BUG_TEST_AND_SET = oneHunkDiff('drivers/acme/acme_q.c', 55, 'static int acme_q_lock(struct acme_q *q)',
  ['{', '@@BUG@@', '\t\treturn -EBUSY;', '\tq->owner = current;', '\treturn 0;'],
  ...Object.values(swap('\tif (test_and_set_bit_lock(ACME_Q_LOCKED, &q->flags))', '\tif (test_and_set_bit(ACME_Q_LOCKED, &q->flags))')) as [string[], string[]]);
