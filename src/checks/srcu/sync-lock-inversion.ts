// srcu-sync-lock-inversion: synchronize_srcu*(S) while holding a lock L that is also taken inside a
// read-side section of S. CPU0 is a reader of S waiting for L; CPU1 holds L and waits for the grace
// period, which waits for CPU0: deadlock. Evidence for "L is taken inside a read side of S" comes
// from the series/files themselves (a lock call, or a callee summary that acquires L, while S is
// read-locked) or from documented facts (rules/lock-orders.yaml: `before: L, after: S` means
// synchronize_srcu(S) runs under L, so taking L inside an S read side is the broken half).
//
// Approach: collect, over every function, (S, L) pairs of "L acquired inside read side of S" and
// "S synchronised while L held" (Context.locks, FunctionModel.callersHold), then join them at the
// end. Reports on the changed half; the interleaving is built from the two real calls.
// Read sides held by callers count only where a kernel fact says so (CALLER_READ_SIDE: x86's vCPU
// run loop under kvm->srcu).
// Blind spots: lock classes that only alias through helper functions; other read sides held by callers;
// shared/shared rwsem pairs are not reported (they only deadlock with a queued writer).

import type { CallEvent, Check, CheckContext, FunctionModel, HeldLock, LockOrderFact } from '../../engine/types.js';
import { callTarget, classesOf, patternMatches, sameObject, sectionSsp, stripExpr } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';
import { calleeSyncs } from './sync-in-read-side.js';

const SLEEPING_OR_SPIN = new Set(['spinlock', 'raw_spinlock', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'local_lock', 'bit_spinlock']);

interface Inside {
  ssp: string;
  lock: string;
  via: string;
  mode: 'exclusive' | 'shared';
  fn: FunctionModel;
  line: number;
  readLine: number;
  /** Set when the read side was entered by the caller (CALLER_READ_SIDE), not in this function. */
  readBy?: string;
  readVia: string;
  changed: boolean;
  chain: string[];
}

interface SyncUnder {
  ssp: string;
  lock: HeldLock;
  fn: FunctionModel;
  line: number;
  call: string;
  changed: boolean;
  chain: string[];
}

// Functions that run inside a read side their caller entered (kernel facts): on x86,
// kvm_arch_vcpu_ioctl_run() takes kvm_vcpu_srcu_read_lock() before vcpu_run(), which calls
// vcpu_enter_guest() and vcpu_block(); they drop and retake it only around guest entry and halt.
const CALLER_READ_SIDE: Array<{ fn: RegExp; file: RegExp; ssp: string; via: string; by: string }> = [
  { fn: /^(vcpu_run|vcpu_enter_guest|vcpu_block)$/, file: /(^|\/)arch\/x86\/kvm\/x86\.c$/, ssp: 'vcpu->kvm->srcu', via: 'kvm_vcpu_srcu_read_lock', by: 'kvm_arch_vcpu_ioctl_run()' },
];

/** The patch changed the read side between its srcu_read_lock() and this lock: a moved or removed
 *  srcu_read_unlock() (a fix reversed) that now leaves the lock inside the section counts as the
 *  patch introducing it. */
function spanChanged(fn: FunctionModel, from: number, to: number): boolean {
  for (let l = from; l <= to; l++) if (fn.unit.changed.has(l)) return true;
  return false;
}

function srcuFact(kb: CheckContext['kb'], f: LockOrderFact): boolean {
  return /srcu_struct/.test(kb.fieldType(f.after)?.type ?? '') || /(^|->|\.)\w*srcu$/.test(f.after);
}

export const syncLockInversion: Check = {
  meta: {
    id: 'srcu-sync-lock-inversion',
    class: 'srcu',
    severity: 'error',
    title: 'synchronize_srcu() under a lock that SRCU readers take',
    help:
      'synchronize_srcu(S) waits until every reader of S has left its read-side section. If a lock L ' +
      'is held across synchronize_srcu(S) and some reader of S takes L inside its read side, the ' +
      'reader waits for L and the updater waits for the reader: an ABBA deadlock lockdep reports ' +
      'against the srcu "lock". Either call synchronize_srcu() after dropping L, or do not take L ' +
      'inside the read side. Documentation/virt/kvm/locking.rst lists kvm->lock, vcpu->mutex and ' +
      'kvm->slots_lock as held around synchronize_srcu(&kvm->srcu), so they must not be taken inside a ' +
      'kvm->srcu read side.',
    docs: ['Documentation/virt/kvm/locking.rst', 'Documentation/RCU/whatisRCU.rst'],
  },
  create(ctx) {
    const inside: Inside[] = [];
    const syncs: SyncUnder[] = [];
    const reported = new Set<string>();

    const heldAt = (locks: readonly HeldLock[], fn: FunctionModel): HeldLock[] => [...fn.callersHold, ...locks].filter((l) => SLEEPING_OR_SPIN.has(l.kind));

    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call') return;
        const p = ev.primitive;
        // L taken inside a read side of S.
        if (ev.ctx.srcu.length && p && p.op === 'lock' && p.kind && SLEEPING_OR_SPIN.has(p.kind)) {
          const lock = callTarget(ev);
          if (lock) {
            for (const sec of ev.ctx.srcu) {
              inside.push({
                ssp: sectionSsp(sec, ctx.kb), lock, via: ev.callee, mode: p.mode ?? 'exclusive', fn, line: ev.line,
                readLine: sec.line, readVia: sec.via, changed: ev.changed || spanChanged(fn, sec.line, ev.line), chain: [`${fn.name}()`, `${ev.callee}()`],
              });
            }
          }
        } else if (p && p.op === 'lock' && p.kind && SLEEPING_OR_SPIN.has(p.kind)) {
          // No read side of this function is open: the caller's may be (CALLER_READ_SIDE), unless
          // this function left it before the lock.
          const entry = CALLER_READ_SIDE.find((c) => c.fn.test(fn.name) && c.file.test(fn.unit.file));
          const lock = callTarget(ev);
          if (entry && lock) {
            const last = fn.events.filter((e): e is CallEvent => e.kind === 'call' && e.line < ev.line && (e.primitive?.op === 'srcu-read-lock' || e.primitive?.op === 'srcu-read-unlock') && sameObject(callTarget(e) ?? '', fn, entry.ssp, fn)).at(-1);
            if (last?.primitive?.op !== 'srcu-read-unlock') {
              inside.push({
                ssp: entry.ssp, lock, via: ev.callee, mode: p.mode ?? 'exclusive', fn, line: ev.line,
                readLine: 0, readVia: entry.via, readBy: entry.by, changed: ev.changed || spanChanged(fn, fn.startLine, ev.line), chain: [entry.by, `${fn.name}()`, `${ev.callee}()`],
              });
            }
          }
        } else if (ev.ctx.srcu.length && !p) {
          const s = ctx.summary(ev.callee);
          for (const a of s?.acquires ?? []) {
            if (!SLEEPING_OR_SPIN.has(a.kind)) continue;
            for (const sec of ev.ctx.srcu) {
              inside.push({
                ssp: sectionSsp(sec, ctx.kb), lock: a.lockClass, via: a.chain.at(-1)?.replace(/\(\)$/, '') ?? 'lock', mode: a.mode, fn, line: ev.line,
                readLine: sec.line, readVia: sec.via, changed: ev.changed || spanChanged(fn, sec.line, ev.line), chain: [`${fn.name}()`, ...a.chain],
              });
            }
          }
        }
        // S synchronised while L held.
        const held = heldAt(ev.ctx.locks, fn);
        if (!held.length) return;
        const targets: Array<{ ssp: string; chain: string[] }> = [];
        if (p?.op === 'srcu-sync') {
          const t = callTarget(ev);
          if (t) targets.push({ ssp: t, chain: [`${fn.name}()`, `${ev.callee}()`] });
        } else if (!p) {
          for (const y of calleeSyncs(ctx, ev.callee, ev.args)) targets.push({ ssp: y.ssp, chain: [`${fn.name}()`, `${ev.callee}()`, ...y.chain.slice(1)] });
        }
        for (const t of targets) {
          for (const lock of held) syncs.push({ ssp: t.ssp, lock, fn, line: ev.line, call: callText(ev.callee, ev.args), changed: ev.changed || fn.unit.changed.has(lock.line), chain: t.chain });
        }
      },

      onEnd() {
        // 1. Both halves seen in the analysed code.
        for (const s of syncs) {
          for (const r of inside) {
            if (!sameObject(s.ssp, s.fn, r.ssp, r.fn)) continue;
            if (!sameObject(s.lock.expr, s.fn, r.lock, r.fn) && !classesOf(r.lock, r.fn).includes(s.lock.lockClass)) continue;
            if (s.lock.mode === 'shared' && r.mode === 'shared') continue;
            if (!s.changed && !r.changed) continue;
            const at = s.changed ? { unit: s.fn.unit, fn: s.fn, line: s.line } : { unit: r.fn.unit, fn: r.fn, line: r.line };
            const key = `${stripExpr(s.ssp)}:${s.lock.lockClass}`;
            if (reported.has(`${at.fn.name}:${key}`)) continue;
            reported.add(`${at.fn.name}:${key}`);
            ctx.report({
              ...at,
              message: `${s.call.replace(/;$/, '')} runs with ${s.lock.expr} held (line ${s.lock.line}), but ${r.fn.name}() takes ${r.lock} inside a ${r.ssp} read-side section (line ${r.line}): the grace period waits for that reader, which waits for ${s.lock.expr}.`,
              key,
              reproduction: deadlockRepro(s.fn, s.lock, s.line, s.call, r.fn, r.readVia, r.ssp, r.readLine, callText(r.via, [`&${r.lock}`]), r.line, [...s.chain]),
            });
          }
        }
        // 2. A reader takes a lock that the documentation says is held around synchronize_srcu(S).
        for (const f of ctx.kb.lockOrders()) {
          if (!srcuFact(ctx.kb, f)) continue;
          for (const r of inside) {
            if (!r.changed || !patternMatches(f.after, r.ssp, r.fn) || !patternMatches(f.before, r.lock, r.fn)) continue;
            const key = `${f.after}:${f.before}`;
            if (reported.has(`${r.fn.name}:${key}`)) continue;
            reported.add(`${r.fn.name}:${key}`);
            const docLock: HeldLock = { expr: f.before, lockClass: f.before, kind: 'mutex', mode: 'exclusive', line: 0, via: 'mutex_lock', irqOff: false, bhOff: false };
            ctx.report({
              unit: r.fn.unit,
              fn: r.fn,
              line: r.line,
              message: `${r.via}(${r.lock}) inside the ${r.ssp} read-side section ${r.readBy ? `its caller ${r.readBy} entered` : `entered at line ${r.readLine}`}: ${f.source} documents that synchronize_srcu(&${f.after}) is called with ${f.before} held, so this reader can deadlock with that grace period.`,
              key,
              reproduction: deadlockRepro(null, docLock, 0, `synchronize_srcu(&${f.after});`, r.fn, r.readVia, r.ssp, r.readLine, callText(r.via, [`&${r.lock}`]), r.line, r.chain),
            });
          }
        }
      },
    };
  },
};

function deadlockRepro(
  syncFn: FunctionModel | null, lock: HeldLock, syncLine: number, syncCall: string,
  readFn: FunctionModel, readVia: string, ssp: string, readLine: number, lockCall: string, lockLine: number, chain: string[],
) {
  const f1 = syncFn?.unit.file;
  const f0 = readFn.unit.file;
  return repro({
    chain,
    configs: ['CONFIG_PROVE_LOCKING'],
    interleaving: interleaving(
      'possible unsafe locking scenario',
      ['CPU0', 'CPU1'],
      [
        step(0, callText(readVia, [`&${ssp}`], 'idx'), f0, readLine, `${readFn.name}(): reader of ${ssp}`),
        step(1, callText(lock.via, [`&${lock.expr}`]), f1, lock.line || undefined, syncFn ? `${syncFn.name}()` : 'documented lock order'),
        step(0, lockCall, f0, lockLine, `waits for ${lock.expr} held by CPU1`),
        step(1, syncCall, f1, syncLine || undefined, `waits for CPU0's ${ssp} reader`),
      ],
      '*** DEADLOCK ***',
    ),
    splat: `WARNING: possible circular locking dependency detected\n${syncFn?.name ?? 'updater'} is trying to acquire lock:\n (${ssp}){.+.+}, at: ${syncCall.replace(/\(.*$/, '')}\nbut task is already holding lock:\n (${lock.expr}){+.+.}, at: ${lock.via}\nwhich lock already depends on the new lock.\n*** DEADLOCK ***`,
  });
}
