// bitlock-wake-without-barrier: a bit (or variable) that waiters sleep on is cleared and the
// waiters are woken with wake_up_bit()/wake_up_var(), with no full barrier between the store and
// the wake-up: the waker's check of the wait queue can be satisfied before its store is visible,
// while a waiter that just queued itself still sees the old value, so it sleeps and nobody wakes
// it (lost wake-up).
//
// Approach: for each wake_up_bit(word, bit) / wake_up_var(addr) call, walk back through the
// function's events. A full fence (smp_mb), a fully ordered RMW of the same
// word (test_and_clear_bit, xchg, atomic_*_return) or a store with its own full barrier
// (smp_store_mb) before reaching the store settles it. smp_mb__after_atomic() settles it only with
// an atomic RMW between the store and itself (the store itself when it is clear_bit(), or an
// atomic_dec() after the store): after atomic_set(), WRITE_ONCE() or a plain store alone it orders
// nothing (atomic_t.txt; barrier() on x86); smp_mb__before_atomic() likewise needs an atomic RMW
// between itself and the wake-up (rules/primitives/barriers.yaml, pairedRmw). The first
// store of the same word (and bit) reached with none in between is flagged (clear_bit,
// clear_bit_unlock: RELEASE orders the earlier accesses, not the later wait-queue read;
// WRITE_ONCE, atomic_set, a plain store). clear_and_wake_up_bit() and wake_up_var_locked() under the
// waiters' lock do it right themselves.
// Wake-ups with a lock held, asserted held or annotated __must_hold are left alone: the waiters may
// test under that lock.
// A call to a function the knowledge base does not know, between the store and the wake-up, ends
// the walk silently (it may hold the barrier).
// Blind spots: the store and the wake-up in different functions (a helper that wakes), an unknown
// call between them that holds no barrier, and other wake-up helpers (wake_up_page_bit, a hand-rolled
// waitqueue_active() check, which needs the same barrier).
import type { AnalysisEvent, CallEvent, Check, FunctionModel } from '../../engine/types.js';
import { normaliseExpr } from '../../engine/index.js';
import { callText, fenceHolds, fieldKey, wordOfCall } from './lock-word.js';
import { herdName, interleaving, litmusName, renderLitmus } from './litmus.js';

const ID = 'bitlock-wake-without-barrier';

/** Word and bit a wake-up call names: wake_up_bit(word, bit), wake_up_var(&x). */
function wakeTarget(ev: CallEvent): { word: string; bit: string | null } | null {
  if (ev.callee === 'wake_up_bit' && ev.args.length >= 2) return { word: normaliseExpr(ev.args[0]!), bit: (ev.args[1] ?? '').replace(/\s+/g, '') };
  if (ev.callee === 'wake_up_var' && ev.args.length >= 1) return { word: normaliseExpr(ev.args[0]!), bit: null };
  return null;
}

const sameWord = (a: string, b: string) => normaliseExpr(a).replace(/^&/, '') === normaliseExpr(b).replace(/^&/, '');

/** The store to the woken word an event is, if any: 'store' (unordered or RELEASE) or 'ordered'
 *  (a fully ordered RMW, which is its own barrier). */
function storeOf(ev: AnalysisEvent, target: { word: string; bit: string | null }): 'store' | 'ordered' | null {
  if (ev.kind === 'store') {
    if (!ev.shared || target.bit) return null;
    return sameWord(ev.target, target.word) ? 'store' : null;
  }
  if (ev.kind !== 'call' || !ev.primitive || ev.callee === 'wake_up_bit') return null;
  const p = ev.primitive;
  if (p.op !== 'store' && p.op !== 'rmw') return null;
  const w = wordOfCall(ev);
  if (!w || !sameWord(w.word, target.word)) return null;
  if (target.bit && (w.bit ?? '').replace(/\s+/g, '') !== target.bit) return null;
  // smp_store_mb() is a store followed by a full barrier (barriers.txt): like a fully ordered
  // RMW, it orders itself before the wake-up's read of the wait queue.
  return p.ordering === 'full' ? 'ordered' : 'store';
}

const pairedOf = (e: AnalysisEvent | undefined) => (e?.kind === 'call' ? e.primitive?.pairedRmw : undefined);

export const wakeWithoutBarrier: Check = {
  meta: {
    id: ID,
    class: 'bitlock',
    severity: 'warning',
    title: 'Wake-up after clearing a bit without a full barrier',
    help:
      'wake_up_bit() and wake_up_var() look at the wait queue without taking its lock: the store that ends the wait (clear_bit, clear_bit_unlock, atomic_set, WRITE_ONCE) must be ordered before that read by a full barrier, or a waiter that has just queued itself can still see the old value and sleep with nobody to wake it. RELEASE (clear_bit_unlock) orders only the accesses before the store. Put smp_mb__after_atomic() (after an atomic bitop) or smp_mb() between the store and the wake-up, or use clear_and_wake_up_bit().',
    docs: ['include/linux/wait_bit.h (wake_up_bit: needs a full barrier after the bit is cleared)', 'Documentation/memory-barriers.txt (SLEEP AND WAKE-UP FUNCTIONS)', 'Documentation/atomic_bitops.txt'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        fn.events.forEach((ev, i) => {
          if (ev.kind !== 'call') return;
          const target = wakeTarget(ev);
          if (!target) return;
          // With a lock held (or asserted held) the waiters may test the bit under that same lock,
          // which orders the hand-over without a barrier (wake_up_var() of a field under its lock).
          // Callers' locks count the same way (fn.callersHold: __must_hold(), lockdep_assert_held*()
          // anywhere in the function, as the engine collects them).
          if (ev.ctx.locks.length || fn.callersHold.length || fn.events.some((e, k) => k < i && e.kind === 'call' && /^lockdep_assert_held/.test(e.callee))) return;
          // A one-way fence passed on the way (smp_wmb after the store) is named in the message:
          // it looks like the barrier the rule asks for, but the wake-up's check is a load.
          let oneWayFence: CallEvent | null = null;
          // smp_mb__after_atomic() / smp_mb__before_atomic() passed on the way: they settle it only
          // with an atomic RMW between the store and the wake-up on their side (fenceHolds), judged
          // once the store is found.
          const pairedFences: number[] = [];
          for (let k = i - 1; k >= 0; k--) {
            const e = fn.events[k]!;
            if (e.kind === 'return') return;
            if (e.kind === 'call' && e.primitive?.op === 'fence' && e.primitive.ordering === 'full') {
              if (!e.primitive.pairedRmw) return;
              pairedFences.push(k);
              continue;
            }
            if (e.kind === 'call' && e.primitive?.op === 'fence' && e.primitive.orders && !oneWayFence) oneWayFence = e;
            // A call the knowledge base does not know may hold a barrier (or take the waiters'
            // lock): only a store and wake-up with nothing unknown between them are judged.
            if (e.kind === 'call' && !e.primitive) return;
            // A lock or unlock in between (the waiters' own lock around the wake-up) orders it too.
            if (e.kind === 'call' && e.primitive && ['lock', 'unlock', 'trylock'].includes(e.primitive.op)) return;
            const s = storeOf(e, target);
            if (s === 'ordered') return;
            if (s === 'store') {
              if (pairedFences.some((f) => fenceHolds(fn.events, f, k, i - 1))) return;
              // The message names the unpaired barrier nearest the wake-up, an after_atomic first.
              const unpaired = pairedFences.find((f) => pairedOf(fn.events[f]) === 'preceding') ?? pairedFences[0];
              report(fn, e, ev, target, oneWayFence, unpaired === undefined ? null : (fn.events[unpaired] as CallEvent));
              return;
            }
          }
        });
      },
    };

    function report(fn: FunctionModel, store: AnalysisEvent, wake: CallEvent, target: { word: string; bit: string | null }, oneWayFence: CallEvent | null, unpaired: CallEvent | null): void {
      const f = herdName(target.word.replace(/^&/, ''), 'flag');
      const q = herdName('', 'waitq', [f]);
      const storeText = callText(store);
      const litmus = renderLitmus({
        name: litmusName(ID, fn),
        comment: [
          `lockreview ${ID}: ${fn.unit.file}:${wake.line} ${fn.name}()`,
          `${f} = 1 stands for the bit waiters sleep on; ${q} = 1 for "a waiter is queued".`,
          `P0 clears it (${storeText}) and wakes (${callText(wake)}), which first checks the wait queue.`,
          `P1 is a waiter: it queues itself, sets its task state (a full barrier) and re-checks the bit.`,
          `Bad outcome: P0 sees no waiter and P1 still sees the bit set: P1 sleeps with nobody to wake it.`,
        ],
        init: { [f]: 1, [q]: 0 },
        vars: [f, q],
        p0regs: ['r0'],
        p0: [`WRITE_ONCE(*${f}, 0);`, `r0 = READ_ONCE(*${q});`],
        p1regs: ['r1'],
        p1: [`WRITE_ONCE(*${q}, 1);`, 'smp_mb();', `r1 = READ_ONCE(*${f});`],
        exists: '0:r0=0 /\\ 1:r1=1',
      });
      const storeLine = store.line;
      // smp_mb__after_atomic() is a full barrier only after an atomic RMW (atomic_bitops.txt,
      // atomic_t.txt): after a plain, marked or RELEASE store the fix is smp_mb().
      const p = store.kind === 'call' ? store.primitive : undefined;
      const afterAtomicRmw = !!p && (p.op === 'rmw' || (p.family === 'bitops' && store.kind === 'call' && !store.callee.startsWith('__')));
      const fix = afterAtomicRmw
        ? `put smp_mb__after_atomic() before the wake-up${target.bit ? ', or use clear_and_wake_up_bit()' : ''}`
        : 'put smp_mb() before the wake-up (smp_mb__after_atomic() orders only after an atomic read-modify-write)';
      ctx.report({
        unit: fn.unit,
        fn,
        line: wake.line,
        key: fieldKey(target.word.replace(/^&/, '')) + (target.bit ? `#${target.bit}` : '') + '#wake',
        message: `${callText(wake)} follows ${storeText} (line ${storeLine}) with no full barrier in between${oneWayFence ? ` (${oneWayFence.callee}() on line ${oneWayFence.line} orders ${oneWayFence.primitive?.orders} only, and the wake-up's check of the wait queue is a load after a store)` : ''}${unpaired ? ` (${unpaired.callee}() on line ${unpaired.line} is a full barrier only together with an atomic read-modify-write ${unpaired.primitive?.pairedRmw === 'preceding' ? `before it, and ${storeText} is not one` : 'after it, and none comes before the wake-up'}: here it orders nothing, atomic_t.txt)` : ''}: the wake-up's check of the wait queue can pass before the store is visible, while a waiter that just queued itself still sees the old value and sleeps forever; ${fix}`,
        introducedLines: [storeLine, wake.line],
        reproduction: {
          litmus,
          interleaving: interleaving(
            'lost wake-up',
            [
              { cpu: 0, action: storeText + ';', file: fn.unit.file, line: storeLine, note: 'not yet visible to other CPUs' },
              { cpu: 0, action: callText(wake) + ';', file: fn.unit.file, line: wake.line, note: 'reads the wait queue early: empty, nobody to wake' },
              { cpu: 1, action: 'prepare_to_wait(); set_current_state();', note: 'queues itself (full barrier)' },
              { cpu: 1, action: `test_bit(...) /* ${target.word} */`, note: 'still sees the old value: goes to sleep' },
            ],
            'CPU1 sleeps although the bit is clear, and no wake-up will come',
          ),
        },
      });
    }
  },
};
