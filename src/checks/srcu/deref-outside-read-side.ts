// srcu-deref-outside-read-side: an access that needs the read side of an srcu_struct S
// (srcu_dereference(p, S), and the KVM memslot accessors of rules/primitives/srcu.yaml that walk
// kvm_memslots() under kvm->srcu) made where S is not read-locked and the callers cannot be holding
// it either. lockdep prints "suspicious rcu_dereference_check() usage" and an updater can free the
// memslots under the access.
//
// Approach: plain helpers called with S held by their callers are the common, correct case, so the
// check needs evidence that no caller holds S: a lock held here (Context.locks or callersHold) that
// the documented lock orders (rules/lock-orders.yaml) forbid inside an S read side (kvm->lock,
// vcpu->mutex, kvm->slots_lock for kvm->srcu), or a VM-wide function (a `struct kvm *` parameter, no
// vCPU) that serialises on a VM mutex, the shape of the VM-ioctl paths, which do not enter
// kvm->srcu (info only: some such helpers are reached from the vCPU run loop too). One finding per
// function and srcu_struct. The updater's own lock (field-types.yaml `associatedLock` of the protected field, e.g.
// kvm->slots_lock for kvm->memslots) makes the access legal. KVM vCPU ioctl handlers count as
// holding vcpu->mutex, which their dispatcher kvm_vcpu_ioctl() takes.
// Blind spots: accesses in helpers whose callers are unknown; srcu_dereference_check() conditions.

import type { CallEvent, Check, FunctionModel, HeldLock } from '../../engine/types.js';
import { callTarget, classesOf, patternMatches, sameObject, sectionSsp } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

const SLEEPING = new Set(['mutex', 'rwsem', 'semaphore']);

// Locks a KVM entry point runs under, taken by its dispatcher in another file: kvm_vcpu_ioctl()
// (virt/kvm/kvm_main.c) holds vcpu->mutex around kvm_arch_vcpu_ioctl() and the
// kvm_arch_vcpu_ioctl_*() handlers it calls, so a hunk of those shows no lock call.
const DISPATCHER_HOLDS: Array<{ fn: RegExp; lock: string; by: string }> = [
  { fn: /^kvm_arch_vcpu_ioctl(_\w+)?$/, lock: 'vcpu->mutex', by: 'kvm_vcpu_ioctl()' },
];

export const derefOutsideReadSide: Check = {
  meta: {
    id: 'srcu-deref-outside-read-side',
    class: 'srcu',
    severity: 'warning',
    title: 'SRCU-protected access outside a read side of its srcu_struct',
    help:
      'Pointers published under SRCU (srcu_dereference(p, S)), and KVM memslots (kvm_memslots(), ' +
      'gfn_to_memslot(), kvm_read_guest()/kvm_write_guest() ...), may only be used inside ' +
      'srcu_read_lock(S) ... srcu_read_unlock(S) or with the updater\'s lock held. Outside, the ' +
      'updater can free the object after its synchronize_srcu() while it is still in use, and lockdep ' +
      'reports "suspicious rcu_dereference_check() usage". Take the read side around the access. See ' +
      'Documentation/virt/kvm/locking.rst (kvm->srcu) and Documentation/RCU/whatisRCU.rst.',
    docs: ['Documentation/virt/kvm/locking.rst', 'Documentation/RCU/whatisRCU.rst'],
  },
  create(ctx) {
    const kb = ctx.kb;
    const reported = new Set<string>();
    /** Locks that must not be taken inside a read side of ssp (documented orders). */
    const outsideOnly = (ssp: string, fn: FunctionModel, held: readonly HeldLock[]): HeldLock | undefined =>
      held.find((l) => kb.lockOrders().some((f) => patternMatches(f.after, ssp, fn) && (patternMatches(f.before, l.expr, fn) || l.lockClass === f.before)));
    /** The updater-side lock that also makes the access legal. */
    const updaterLock = (ssp: string, fn: FunctionModel, held: readonly HeldLock[]): boolean => {
      const base = ssp.replace(/(->|\.)\w+$/, '');
      const facts = [...['memslots', 'buses'].map((f) => kb.fieldType(`${base}->${f}`))].filter((f) => f?.associatedLock);
      return facts.some((f) => held.some((l) => patternMatches(f!.associatedLock!, l.expr, fn) || l.lockClass === f!.associatedLock));
    };
    const vmWide = (fn: FunctionModel): boolean => {
      const types = [...fn.params.values()];
      return types.some((t) => /struct\s+kvm\s*\*/.test(t)) && !types.some((t) => /struct\s+kvm_vcpu\s*\*/.test(t));
    };
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || ev.primitive?.op !== 'srcu-deref' || !ev.changed) return;
        const ssp = callTarget(ev as CallEvent);
        if (!ssp) return;
        if (ev.ctx.srcu.some((s) => sameObject(sectionSsp(s, kb), fn, ssp, fn))) return;
        const entry = DISPATCHER_HOLDS.find((d) => d.fn.test(fn.name));
        const dispatcherLock: HeldLock[] = entry ? [{ expr: entry.lock, lockClass: entry.lock, kind: 'mutex', mode: 'exclusive', line: 0, via: `mutex_lock (in ${entry.by})`, irqOff: false, bhOff: false }] : [];
        const held = [...fn.callersHold, ...dispatcherLock, ...ev.ctx.locks];
        // lockdep_assert_held(&kvm->srcu) / __must_hold: the callers hold the read side.
        if (fn.callersHold.some((l) => sameObject(l.expr, fn, ssp, fn))) return;
        if (reported.has(`${fn.unit.file}:${fn.name}:${ssp}`)) return;
        if (updaterLock(ssp, fn, held)) return;
        // A later unlock of a lock not in the context: it was held here (function seen in part).
        const laterUnlocks = fn.events
          .filter((e): e is CallEvent => e.kind === 'call' && e.line > ev.line && e.primitive?.op === 'unlock' && !!e.primitive.kind && SLEEPING.has(e.primitive.kind))
          .map((e) => ({ expr: callTarget(e) ?? '', e }))
          .filter((u) => u.expr && !held.some((l) => sameObject(l.expr, fn, u.expr, fn)));
        const heldAll: HeldLock[] = [
          ...held,
          ...laterUnlocks.map((u) => ({ expr: u.expr, lockClass: u.expr, kind: u.e.primitive!.kind!, mode: 'exclusive' as const, line: 0, via: u.e.callee.replace('unlock', 'lock'), irqOff: false, bhOff: false })),
        ];
        let reason: string | null = null;
        let severity: 'warning' | 'info' = 'warning';
        const blocker = outsideOnly(ssp, fn, heldAll);
        if (blocker) reason = `${blocker.expr} is held, and the documented lock order forbids taking it inside a ${ssp} read side, so no caller is in one`;
        else if (vmWide(fn)) {
          // Weaker: VM ioctls serialise on a VM mutex and do not enter kvm->srcu, but some VM-wide
          // helpers are also called from the vCPU run loop, which does. Hence info.
          const vmMutex = heldAll.find((l) => SLEEPING.has(l.kind) && !classesOf(l.expr, fn).some((c) => /srcu/.test(c)));
          if (vmMutex) {
            reason = `${fn.name}() is a VM-wide path (struct kvm *, no vCPU) serialised by ${vmMutex.expr}; VM ioctl paths do not hold ${ssp}, so unless every caller comes from the vCPU run loop the access is unprotected`;
            severity = 'info';
          }
        }
        if (!reason) return;
        reported.add(`${fn.unit.file}:${fn.name}:${ssp}`);
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          severity,
          message: `${ev.callee}() needs the ${ssp} read side, but none is held here: ${reason}. Wrap the access in srcu_read_lock(&${ssp}) / srcu_read_unlock().`,
          key: `${ssp}:${ev.callee}`,
          reproduction: repro({
            chain: [`${fn.name}()`, `${ev.callee}()`],
            configs: ['CONFIG_PROVE_RCU', 'CONFIG_PROVE_LOCKING'],
            splat: `WARNING: suspicious RCU usage\ninclude/linux/kvm_host.h: suspicious rcu_dereference_check() usage!\nother info that might help us debug this:\nrcu_scheduler_active = 2, debug_locks = 1\n1 lock held by ...:\n #0: (${heldAll[0]?.expr ?? '?'}), at: ${fn.name}\nCall Trace:\n  lockdep_rcu_suspicious\n  ${ev.callee}\n  ${fn.name}`,
            interleaving: interleaving(
              'SRCU-protected object used outside the read side',
              ['CPU0', 'CPU1'],
              [
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, `looks up an object protected by ${ssp}, without srcu_read_lock()`),
                step(1, `rcu_assign_pointer(/* new copy */); synchronize_srcu(&${ssp});`, undefined, undefined, 'does not wait for CPU0: it is not a reader'),
                step(1, 'kfree(old);'),
                step(0, '/* uses the old object */', fn.unit.file, ev.line, 'use-after-free'),
              ],
              'use-after-free of the SRCU-protected object',
            ),
          }),
        });
      },
    };
  },
};
