// atomic-sleep-in-atomic: a call that may sleep while the context is atomic.
//
// Approach: at every call event, ask whether the call sleeps on every configuration: a sleeping
// primitive of the knowledge base (rules/primitives/sleep.yaml: msleep, wait_event*, flush_work,
// GFP_KERNEL allocations through their gfp argument, copy_*_user, gpiod_get* ...), a lock of a
// sleeping kind (mutex, rw_semaphore, semaphore), an SRCU grace-period wait, or a function of the
// series/files whose summary says it reaches one of these (two calls deep, with the chain). The
// engine's Context says why the point is atomic: spinlock_t/rwlock_t/raw_spinlock_t/bit spinlock
// held, rcu_read_lock(), preempt_disable()/get_cpu(), local_irq_disable/save(), local_bh_disable(),
// or the function's role (hard-IRQ handler, timer, tasklet/softirq, RCU callback, NMI, irq_chip
// callback, non-blockable MMU notifier, a driver callback the core calls atomically: ndo_set_rx_mode,
// uart_ops.start_tx, clk_ops.enable, pci_ops.read ..., rules/roles.yaml `contexts`). One finding
// per function and sleeping callee, placed on the
// sleeping call, or on the line that made the context atomic when only that line is new: a lock,
// or the registration that gave the function its atomic role (`.prepare = f` -> `.enable = f`,
// a thread_fn handed to request_irq) when the function's body is unchanged.
// In hunk-only mode a fragment's role also comes from its hunk header's signature and from
// registrations in the other hunks of the file, file-scope ops tables included (shapeRoles), and a
// lock taken in an earlier hunk of the function and released in a later one is located on its
// acquisition (sleep-site.ts).
//
// Blind spots: sleeping that depends on a gfp mask held in a variable (treated as unknown); callees
// outside the units and function pointers; atomic context inherited from callers that are not in
// the units (only lockdep_assert_held/__must_hold are seen); a lock released by a wrapper the
// knowledge base does not know (then the lock is ignored rather than trusted); conditional sleeping
// inside callees (`if (gfpflags_allow_blocking(gfp))`) counts as sleeping; a hard-IRQ handler whose
// registration is not in the patch (its signature is a threaded handler's too); callbacks atomic
// only on some paths (uart_ops.tx_empty, ndo_get_stats64) or of ops structs roles.yaml does not list;
// with --tree, a changed registration line counts as the cause even when the pre-image registered
// the same function for the same context (request_irq rewritten as devm_request_irq); hunk-only
// review reads the hunk's deleted lines as text for that.
import type { Check, FunctionModel, FunctionRole } from '../../engine/types.js';
import { rolesFromShape } from '../../engine/roles.js';
import { atomicReasons, callText, findingLine, locateReason, registeredElsewhere, sleepAt, sleeperText, sleepReproduction } from './sleep-site.js';

export const sleepInAtomic: Check = {
  meta: {
    id: 'atomic-sleep-in-atomic',
    class: 'atomic-sleep',
    severity: 'error',
    title: 'Call that may sleep in atomic context',
    help:
      'A function that may sleep (a mutex or rwsem, msleep/usleep_range, wait_event/wait_for_completion, ' +
      'synchronize_rcu/synchronize_srcu/flush_work, a GFP_KERNEL/GFP_NOFS allocation, copy_to/from_user, ' +
      'gpiod_get, or a helper that does one of these) is called while a spinlock is held, inside ' +
      'rcu_read_lock(), with preemption, interrupts or bottom halves disabled, or from an interrupt, ' +
      'timer, softirq or NMI handler. The scheduler cannot switch away there: the kernel prints ' +
      '"BUG: sleeping function called from invalid context" (CONFIG_DEBUG_ATOMIC_SLEEP) or deadlocks. ' +
      'Fix: move the call out of the atomic section, use GFP_ATOMIC/GFP_NOWAIT, or defer the work to ' +
      'a workqueue or threaded IRQ handler.',
    docs: ['Documentation/locking/locktypes.rst', 'Documentation/core-api/memory-allocation.rst', 'Documentation/RCU/whatisRCU.rst'],
  },
  create(ctx) {
    const reported = new Set<string>();
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call') return;
        const site = sleepAt(ev, fn, ctx);
        if (site?.level !== 'always') return;
        const reasons = atomicReasons(ev, fn, ctx.kb, shapeRoles(fn, ctx.functions()), ctx.functions()).map((r) => locateReason(r, fn, ev));
        if (!reasons.length) return;
        const at = findingLine(ev, reasons, fn, ctx.functions());
        if (!at) return;
        const key = `${fn.unit.file}:${fn.name}:${at.reason.text}`; // one finding per atomic section
        if (reported.has(key)) return;
        reported.add(key);
        const why = at.reason.line != null ? `${at.reason.text} (line ${at.reason.line})` : at.reason.text;
        const sleeps = sleeperText(site, ctx.kb, 'may sleep');
        ctx.report({
          unit: at.unit,
          fn,
          line: at.line,
          message: at.registration
            ? `${fn.name}() now runs in atomic context (${at.reason.text}) because of this registration (line ${at.line}), and it calls ${callText(ev)} at line ${ev.line}: ${sleeps}.`
            : `${sleeps}, but ${fn.name}() is in atomic context here: ${why}.${ev.line !== at.line ? ` The sleeping call is ${callText(ev)} at line ${ev.line}.` : ''}`,
          key: `${fn.name}:${site.chain[site.chain.length - 1]}`,
          reproduction: sleepReproduction({ fn, ev, site, reason: at.reason, rtOnly: false }),
        });
      },
    };
  },
};

/** Roles the engine could not give a function of a hunk from its own unit: from a fragment's
 *  signature, and from registrations in the other hunks of the same file and patch (the probe
 *  function's `devm_request_irq(dev, irq, foo_isr, ...)` in one hunk, foo_isr's body in another;
 *  an ops table `static const struct clk_ops foo_ops = { .enable = foo_on }` at file scope). A
 *  signature's struct-op role is not taken when another hunk puts the function into that struct
 *  (`.prepare = foo_enable`: the visible registration says which op it is). */
export function shapeRoles(fn: FunctionModel, all: readonly FunctionModel[]): FunctionRole[] {
  // A whole definition's shape was read by the engine already (detectRoles), with its return type
  // and its unit's registrations, which may say the name misleads (`.prepare = foo_enable`).
  if (fn.roles.length || (!fn.partial && fn.unit.mode !== 'hunk')) return [];
  const elsewhere = registeredElsewhere(fn, all);
  const fromShape = fn.partial && fn.params.size ? rolesFromShape({ name: fn.name, returns: null, params: [...fn.params.values()], body: '' }) : [];
  const roles = fromShape.filter((role) => !elsewhere.structs.has(role.split('.')[0]!) || !role.includes('.'));
  for (const role of elsewhere.roles) if (!roles.includes(role)) roles.push(role);
  return roles;
}
