// atomic-sleep-rt-only: a lock that becomes a sleeping lock on PREEMPT_RT (spinlock_t, rwlock_t,
// local_lock_t, or a helper that takes one, such as a regmap with a spinlock_t) taken where the
// context is atomic even on PREEMPT_RT.
//
// Approach: at every call event, the call "sleeps on RT" when it takes a spinlock_t/rwlock_t/
// local_lock_t (the lock's declared type corrects the API's kind: spin_lock() on a raw lock is not
// flagged), a primitive marked sleepsOnRT in rules/primitives/sleep.yaml (regmap_* on MMIO/syscon
// maps; the slab/page allocators, which take spinlock_t/local_lock_t on RT even for GFP_ATOMIC), or
// a function of the series/files whose summary reaches one (two calls deep). The point is
// truly atomic on RT when one of the engine's atomic reasons holds there too: raw_spinlock_t or
// bit spinlock held, preempt_disable()/get_cpu(), interrupts hard-disabled (local_irq_save), an
// irq_chip callback (runs under the raw desc->lock), an NMI handler or a non-blockable MMU notifier
// (the OOM reaper's path). Calls that sleep on every config are left to atomic-sleep-in-atomic.
//
// Blind spots: hard-IRQ handlers registered with IRQF_NO_THREAD and HRTIMER_MODE_*_HARD timers
// (atomic on RT too) are treated as threaded, and so are smp_call_function()/irq_work callbacks; whether a regmap is MMIO (spinlock_t) or uses
// raw/no locking is not known, so every regmap access counts as taking a spinlock_t; a
// non-blockable MMU notifier that bails out on !mmu_notifier_range_blockable() before the lock is
// recognised only when the test is a call that precedes the lock in the text.
import type { Check } from '../../engine/types.js';
import { atomicReasons, callText, findingLine, irqsHardOffOnRT, locateReason, sleepAt, sleepReproduction, sleeperText } from './sleep-site.js';
import { shapeRoles } from './sleep-in-atomic.js';

export const rtOnly: Check = {
  meta: {
    id: 'atomic-sleep-rt-only',
    class: 'atomic-sleep',
    severity: 'warning',
    title: 'Lock that sleeps on PREEMPT_RT taken in a context that is atomic on PREEMPT_RT',
    help:
      'On CONFIG_PREEMPT_RT, spinlock_t, rwlock_t and local_lock_t are sleeping locks (rtmutex based). ' +
      'Taking one, directly or through a helper such as a regmap access, while a raw_spinlock_t is ' +
      'held, with interrupts hard-disabled, with preempt_disable()/get_cpu(), in an irq_chip callback ' +
      '(called under the raw desc->lock) or in a non-blockable MMU notifier is a bug on PREEMPT_RT only: ' +
      'lockdep reports "[ BUG: Invalid wait context ]" (CONFIG_PROVE_RAW_LOCK_NESTING) and RT kernels ' +
      'print "BUG: sleeping function called from invalid context". Fix: use a raw_spinlock_t for the ' +
      'inner lock, move the call out of the section, or use migrate_disable()/local_lock instead of ' +
      'preempt_disable()/get_cpu().',
    docs: ['Documentation/locking/locktypes.rst', 'Documentation/core-api/real-time/differences.rst'],
  },
  create(ctx) {
    const reported = new Set<string>();
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call') return;
        // Code that tests CONFIG_PREEMPT_RT was written with RT in mind (memcg1_check_events()).
        if (/\bCONFIG_PREEMPT_RT\b/.test(fn.node.text)) return;
        const site = sleepAt(ev, fn, ctx);
        if (site?.level !== 'rt') return;
        const reasons = atomicReasons(ev, fn, ctx.kb, shapeRoles(fn, ctx.functions()), ctx.functions())
          .filter((r) => r.onRT)
          .filter((r) => r.kind !== 'irq' || r.line != null || irqsHardOffOnRT(fn, ev, ctx.kb))
          .map((r) => locateReason(r, fn, ev));
        if (!reasons.length) return;
        const at = findingLine(ev, reasons, fn, ctx.functions());
        if (!at) return;
        const key = `${fn.unit.file}:${fn.name}`;
        if (reported.has(key)) return;
        reported.add(key);
        let why = at.reason.line != null ? `${at.reason.text} (line ${at.reason.line})` : at.reason.text;
        if (at.reason.kind === 'role' && /MMU notifier/i.test(at.reason.text)) {
          why += ' (the OOM reaper calls it through mmu_notifier_invalidate_range_start_nonblock(); test mmu_notifier_range_blockable() before taking sleeping locks)';
        }
        const target = site.chain[site.chain.length - 1];
        const sleeper = sleeperText(site, ctx.kb);
        ctx.report({
          unit: at.unit,
          fn,
          line: at.line,
          message: at.registration
            ? `${fn.name}() now runs in a context that is atomic even on PREEMPT_RT (${at.reason.text}) because of this registration (line ${at.line}), and it calls ${callText(ev)} at line ${ev.line}: ${sleeper} takes a lock that sleeps on PREEMPT_RT (spinlock_t/rwlock_t/local_lock_t). A bug with CONFIG_PREEMPT_RT only.`
            :
            `${sleeper} takes a lock that sleeps on PREEMPT_RT (spinlock_t/rwlock_t/local_lock_t), but ` +
            `${fn.name}() is atomic even on RT here: ${why}. A bug with CONFIG_PREEMPT_RT only` +
            `${ev.line !== at.line ? `; the call is ${callText(ev)} at line ${ev.line}` : ''}.`,
          key: `${fn.name}:${target}`,
          reproduction: sleepReproduction({ fn, ev, site, reason: at.reason, rtOnly: true }),
        });
      },
    };
  },
};
