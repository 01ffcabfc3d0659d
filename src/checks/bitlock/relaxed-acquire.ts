// bitlock-relaxed-acquire: a word used as a lock is taken by a _relaxed RMW or a local_t operation,
// with no ACQUIRE barrier after it, so the critical section can be satisfied before the lock is
// really owned.
//
// Approach: every lock-word acquisition (lock-word.ts) whose primitive's ordering is relaxed or
// none (cmpxchg_relaxed, atomic_try_cmpxchg_relaxed, xchg_relaxed, local_cmpxchg, __test_and_set_bit)
// is flagged unless an ACQUIRE or full fence (smp_mb, smp_mb__after_atomic, smp_rmb,
// smp_acquire__after_ctrl_dep) or an ACQUIRE load follows it before the next memory access.
// smp_mb__after_atomic() pairs with the taking RMW only when that RMW is atomic (not after
// __test_and_set_bit() or a local_t op, whose ordering is none). An
// ACQUIRE load of the word *before* the RMW (atomic_cond_read_acquire then cmpxchg_relaxed) does
// not count: the lock is owned only once the RMW succeeds.
// Blind spots: the acquire barrier in a caller or a helper, and lock words not recognised as such.
import type { Check } from '../../engine/types.js';
import { acquireSite, fenceAfter, type WordSite } from './lock-word.js';
import { herdAcquire, herdName, interleaving, litmusName, renderLitmus } from './litmus.js';

const ID = 'bitlock-relaxed-acquire';

export const relaxedAcquire: Check = {
  meta: {
    id: ID,
    class: 'bitlock',
    severity: 'warning',
    title: 'Hand-rolled lock acquired without ACQUIRE ordering',
    help:
      'Taking a lock word must be an ACQUIRE: the accesses of the critical section must not be satisfied before the RMW that takes the lock. _relaxed RMWs (cmpxchg_relaxed, try_cmpxchg_relaxed, xchg_relaxed) and local_t operations give no ordering, and an ACQUIRE on an earlier read of the word does not help because the lock is owned only once the RMW succeeds. Use the _acquire form (atomic_try_cmpxchg_acquire, xchg_acquire, test_and_set_bit_lock) or follow the RMW with smp_acquire__after_ctrl_dep()/smp_mb__after_atomic().',
    docs: ['Documentation/atomic_t.txt', 'Documentation/memory-barriers.txt (ACQUIRE operations)', 'Documentation/locking/locktypes.rst'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        fn.events.forEach((ev, i) => {
          const s = acquireSite(fn, ev, i);
          if (!s || (s.ordering !== 'relaxed' && s.ordering !== 'none')) return;
          if (fenceAfter(fn, i)) return;
          report(s);
        });
      },
    };
    function report(s: WordSite): void {
      const fn = s.fn;
      const w = herdName(s.word, 'lockword');
      const d = herdName('', 'shared_data', [w]);
      const a = herdAcquire(s, w);
      const litmus = renderLitmus({
        name: litmusName(ID, fn),
        comment: [
          `lockreview ${ID}: ${fn.unit.file}:${s.ev.line} ${fn.name}()`,
          `P0 leaves its critical section (writes ${d}) and releases ${s.word} with RELEASE.`,
          `P1 takes the lock with ${s.text}, which has no ACQUIRE ordering, then reads ${d}.`,
          `Bad outcome: P1 owns the lock but reads ${d} from before P0's critical section.`,
        ],
        init: { [w]: 1, [d]: 0 },
        vars: [w, d],
        p0regs: [],
        p0: [`WRITE_ONCE(*${d}, 1);`, `smp_store_release(${w}, 0);`],
        p1regs: ['r0', 'r1'],
        p1: [a.stmt, 'if (r0 == 0)', `\tr1 = READ_ONCE(*${d});`],
        exists: '1:r0=0 /\\ 1:r1=0',
      });
      const local = s.primitive?.family === 'local' || s.ordering === 'none';
      ctx.report({
        unit: fn.unit,
        fn,
        line: s.ev.line,
        key: s.key,
        message: `${s.word} is taken as a lock by ${s.text}, which ${local ? 'is not ordered (or even atomic) against other CPUs' : 'has no ACQUIRE ordering'}: accesses of the critical section can happen before the lock is owned; use the _acquire form${local ? ' on an atomic_t' : ''} or add smp_acquire__after_ctrl_dep() after it`,
        reproduction: {
          litmus,
          interleaving: interleaving(
            'lock taken without ACQUIRE',
            [
              { cpu: 0, action: `WRITE_ONCE(${d}, 1);  /* critical section */` },
              { cpu: 0, action: `smp_store_release(&${s.word}, 0);  /* unlock */` },
              { cpu: 1, action: `r1 = READ_ONCE(${d});`, note: 'satisfied early: nothing orders it after the lock RMW' },
              { cpu: 1, action: s.text + ';', file: fn.unit.file, line: s.ev.line, note: 'sees the lock free and takes it' },
            ],
            `CPU1 owns ${s.word} but its critical section read ${d} before CPU0's release`,
          ),
        },
      });
    }
  },
};
