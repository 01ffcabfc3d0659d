// bitlock-wait-without-acquire: a waiter leaves a spin or sleep loop on an unordered read (plain
// load, READ_ONCE, test_bit, atomic_read) of the word another CPU releases, then goes on as the
// new owner with no ACQUIRE: its later reads can be satisfied before the hand-over and see stale
// data.
//
// Approach: a wait loop is a loop that spins or sleeps (cpu_relax(), schedule(), a sleeping
// primitive) or has an empty body. Its exits are the loop condition and `if (C) break;` directly
// in the body. An exit counts when C reads shared memory without ACQUIRE (a field or pointer read,
// or a relaxed load primitive) and the function looks like a lock/wait path (its name, or a
// LOCKED/BUSY/... constant in C), or the first use after the exit reads another field of the
// object whose flag ended the wait (a flag that publishes data: `req->done`, then `req->status`). From the exit on, the first ordering-relevant event decides:
// an ACQUIRE fence (smp_rmb, smp_acquire__after_ctrl_dep, smp_mb), an ACQUIRE load, a lock or an
// ordered RMW makes it safe; a relaxed load or a return (the caller proceeds as owner) first is
// flagged. Stores after the exit are ordered by the control dependency and are not uses.
// smp_mb__after_atomic() counts only with an atomic RMW between the exit and itself: after the
// exit's plain or relaxed load alone it orders nothing (atomic_t.txt).
// Not waits for a hand-over: a retry/poll loop whose own helper call is handed the object the exit
// tests (the value is this thread's doing), a field of a local struct value whose address never
// escapes (a register copy), and an exit tested under a lock the loop takes again each round.
// Blind spots: exits through goto, loops written with a helper (wait_event*, which order
// themselves), and plain reads after the loop that are not in a primitive (only returns and load
// primitives count as uses).
import { GENERATED_SLEEP_FAMILY } from '../../engine/generated-facts.js';
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { AnalysisEvent, CallEvent, Check, FunctionModel } from '../../engine/types.js';
import { fenceHolds, isAcquireFence, isLockishText } from './lock-word.js';
import { lockExprOf } from '../../engine/summaries.js';
import { herdName, interleaving, litmusName, renderLitmus } from './litmus.js';

const ID = 'bitlock-wait-without-acquire';
/** Lock/hand-over paths: *lock*, *down*, *acquire*, *claim*, *slowpath*. A *wait_for_* name is no
 *  evidence by itself: drivers name every poll of a device or reset state so (qla2x00_wait_for_*,
 *  *_wait_for_pending_*), and such a wait counts only with a lock-like constant in its exit or a
 *  read of the data its flag publishes. */
const WAIT_FN = /(^|_|slow|spin|try|mutex|sem)lock(_|$)|(^|_)down(_|$)|acquire|claim|slowpath/;
/** Calls that make a loop a spin/sleep loop when the knowledge base has no entry for them. */
const SPIN_OR_SLEEP = /^(cpu_relax|set_current_state|schedule|schedule_timeout\w*|io_schedule\w*|schedule_preempt_disabled|msleep\w*|usleep_range\w*|udelay|ndelay|mdelay|fsleep|ssleep)$/;

/** The flag a read names: `test_bit(B, &x->flags)` -> `x->flags`, `READ_ONCE(r->done)` -> `r->done`. */
function flagExprOf(read: string): string {
  return read.replace(/^(READ_ONCE|test_bit|atomic_read|atomic_long_read|atomic64_read|smp_cond_load_relaxed|\w+_cond_read_relaxed)\((?:[^,]*,\s*)?/, '').replace(/\)$/, '').replace(/^&/, '');
}

/** Calls that only report (a tracepoint, a log line): they produce no state the loop tests. */
const TRACE_CALL = /^(trace_|lockevent_|lockdep_|lock_contended|pr_|dev_(err|warn|info|dbg|notice)|netdev_|printk|WARN|BUG|debug|dbg)/;

function isLoop(n: SyntaxNode): boolean {
  return n.type === 'while_statement' || n.type === 'for_statement' || n.type === 'do_statement';
}

function within(e: AnalysisEvent, n: SyntaxNode): boolean {
  return e.node.startIndex >= n.startIndex && e.node.endIndex <= n.endIndex;
}

function endsWithBreak(n: SyntaxNode | null): boolean {
  if (!n) return false;
  if (n.type === 'break_statement') return true;
  if (n.type === 'compound_statement') {
    const last = n.namedChildren.filter((c) => c && c.type !== 'comment').at(-1);
    return last?.type === 'break_statement' && !n.descendantsOfType(['return_statement', 'goto_statement']).length;
  }
  return false;
}

/** Plain shared reads in a condition: field/pointer reads outside any call. */
function plainReads(c: SyntaxNode, fn: FunctionModel): string[] {
  const out: string[] = [];
  for (const f of c.descendantsOfType(['field_expression', 'pointer_expression', 'subscript_expression'])) {
    if (!f) continue;
    let inCall = false;
    for (let p = f.parent; p && p.id !== c.id; p = p.parent) if (p.type === 'call_expression' || p.type === 'field_expression' || p.type === 'pointer_expression') inCall = true;
    if (inCall) continue;
    if (f.type === 'pointer_expression' && f.child(0)?.text !== '*') continue;
    const base = /^\**\s*(\w+)/.exec(f.text)?.[1] ?? '';
    if (f.type !== 'field_expression' && fn.locals.has(base) && !fn.locals.get(base)!.includes('*')) continue;
    // `reg.bits.done` of a local union/struct value the function fills itself (a register copied
    // by readl()) is this thread's own memory, unless its address escapes (`&waiter` handed to
    // the waker).
    if (f.type === 'field_expression' && /^\s*\w+\s*\./.test(f.text) && ownLocalValue(base, fn)) continue;
    out.push(f.text.replace(/\s+/g, ''));
  }
  return out;
}

/** A local struct/union value (not a pointer) the function assigns and whose address it never takes. */
function ownLocalValue(name: string, fn: FunctionModel): boolean {
  const type = fn.locals.get(name);
  if (!type || type.includes('*')) return false;
  const text = fn.node.text;
  return !new RegExp(`&\\s*${name}\\b`).test(text) && new RegExp(`\\b${name}\\s*(?:\\.\\s*\\w+\\s*)*=[^=]`).test(text);
}

interface Exit {
  cond: SyntaxNode;
  after: AnalysisEvent[];
  read: string;
  plain: boolean;
}

export const waitWithoutAcquire: Check = {
  meta: {
    id: ID,
    class: 'bitlock',
    severity: 'warning',
    title: 'Waiter leaves its wait loop without ACQUIRE',
    help:
      'A waiter that spins or sleeps until another CPU hands it a lock (clears a LOCKED bit, sets waiter->task = NULL, ...) must observe the hand-over with ACQUIRE ordering. A plain load, READ_ONCE(), test_bit() or atomic_read() only orders later stores (through the control dependency): later loads can be satisfied before the hand-over and see data from before the previous owner\'s critical section. Use smp_load_acquire(), test_bit_acquire(), atomic_read_acquire(), smp_cond_load_acquire(), or put smp_acquire__after_ctrl_dep() after the loop.',
    docs: ['Documentation/memory-barriers.txt (CONTROL DEPENDENCIES, ACQUIRE operations)', 'Documentation/atomic_t.txt', 'Documentation/atomic_bitops.txt'],
  },
  create(ctx) {
    const waits = (fn: FunctionModel, loop: SyntaxNode): boolean => {
      const body = loop.childForFieldName('body');
      if (body && (body.type === 'expression_statement' ? body.text.trim() === ';' : body.type === 'compound_statement' && body.namedChildren.every((c) => !c || c.type === 'comment'))) return true;
      // Waiting means a delay or scheduling primitive from the hand-written rules; a function the
      // generated sleep table lists (family sleep-db: it sleeps somewhere inside, like a USB
      // transfer) does not make a polling loop a wait for a hand-over.
      return fn.events.some((e) => e.kind === 'call' && within(e, loop) && ((e.primitive?.family !== GENERATED_SLEEP_FAMILY && (e.primitive?.sleeps || e.primitive?.op === 'sleep')) || SPIN_OR_SLEEP.test(e.callee)));
    };

    function loadEvidence(fn: FunctionModel, c: SyntaxNode): { read: string; plain: boolean } | null {
      const evs = fn.events.filter((e): e is CallEvent => e.kind === 'call' && within(e, c));
      // An ordered access in the condition settles it.
      if (evs.some((e) => e.primitive && ['load', 'wait', 'rmw', 'lock', 'trylock'].includes(e.primitive.op) && (e.primitive.ordering === 'acquire' || e.primitive.ordering === 'full'))) return null;
      const load = evs.find((e) => e.primitive && e.primitive.op === 'load');
      if (load) return { read: load.node.text.replace(/\s+/g, ' '), plain: false };
      if (evs.some((e) => !e.primitive)) return null; // a helper decides: its ordering is not known
      const reads = plainReads(c, fn);
      return reads.length ? { read: reads[0]!, plain: true } : null;
    }

    function exitsOf(fn: FunctionModel, loop: SyntaxNode): Exit[] {
      const out: Exit[] = [];
      const afterLoop = fn.events.filter((e) => e.node.startIndex >= loop.endIndex);
      const cond = loop.childForFieldName('condition');
      // `for (i = 0; i < as->nr; i++)`: a condition on the variable the update clause steps counts
      // iterations; it waits for nobody (`for (n = 0; !READ_ONCE(x->done); n++)` still waits).
      const stepped = loop.type === 'for_statement' ? /^\s*(?:\+\+|--)?\s*(\w+)/.exec(loop.childForFieldName('update')?.text ?? '')?.[1] : undefined;
      if (cond && !/^\(?\s*(1|true)?\s*\)?$/.test(cond.text) && !(stepped && new RegExp(`\\b${stepped}\\b`).test(cond.text))) {
        const ev = loadEvidence(fn, cond);
        if (ev) out.push({ cond, after: afterLoop, ...ev });
      }
      const body = loop.childForFieldName('body');
      for (const s of body?.type === 'compound_statement' ? body.namedChildren : []) {
        if (s?.type !== 'if_statement') continue;
        const consequence = s.childForFieldName('consequence');
        if (!endsWithBreak(consequence)) continue;
        const c = s.childForFieldName('condition');
        if (!c) continue;
        const ev = loadEvidence(fn, c);
        if (!ev) continue;
        // A timeout or error exit (`ret = -ETIMEDOUT; break;`) does not take the lock.
        if (/=\s*-E[A-Z]+/.test(consequence?.text ?? '') || /timeout|signal/i.test(c.text)) continue;
        const inside = fn.events.filter((e) => consequence && within(e, consequence));
        out.push({ cond: c, after: [...inside, ...afterLoop], ...ev });
      }
      return out;
    }

    return {
      onFunction(fn) {
        // A relaxed wait primitive (smp_cond_load_relaxed, atomic_cond_read_relaxed) is a wait loop too.
        fn.events.forEach((e, i) => {
          if (e.kind !== 'call' || e.primitive?.op !== 'wait' || (e.primitive.ordering !== 'relaxed' && e.primitive.ordering !== 'none')) return;
          if (!WAIT_FN.test(fn.name) && !isLockishText(e.args.join(' '))) return;
          const verdict = firstOrdering(fn.events.slice(i + 1));
          if (verdict === 'safe' || (verdict === 'none' && !fn.partial)) return;
          const arg = e.args[e.primitive.lockArg ?? 0] ?? '';
          report(fn, { cond: e.node, after: [], read: `${e.callee}(${arg})`, plain: false });
        });
        // Every loop exit below must pass WAIT_FN on the function's name or isLockishText on its
        // condition, a part of the function's text (a lock-like constant in it is one in the whole
        // text too): a function that fails both on its whole text has no exit to report, and its
        // body is not walked again for loops (a second walk of every body costs a scan dearly).
        // A third kind of evidence needs no name: a spin loop (cpu_relax() and the like) on an
        // object's flag followed by a read of another field of the same object (the data the flag
        // publishes: `while (!READ_ONCE(req->done)) cpu_relax(); return req->status;`). The cheap
        // event test keeps the loop walk off functions that do not spin.
        const lockish = WAIT_FN.test(fn.name) || isLockishText(fn.node.text);
        if (!lockish && !fn.events.some((e) => e.kind === 'call' && /^cpu_relax$/.test(e.callee))) return;
        for (const loop of fn.node.descendantsOfType(['while_statement', 'for_statement', 'do_statement'])) {
          if (!loop || !isLoop(loop)) continue;
          const c = loop.childForFieldName('condition');
          if (c?.namedChildren[0]?.type === 'call_expression' && /for_each|foreach/.test(c.namedChildren[0]!.childForFieldName('function')?.text ?? '')) continue;
          if (!waits(fn, loop)) continue;
          for (const ex of exitsOf(fn, loop)) {
            if (!WAIT_FN.test(fn.name) && !isLockishText(ex.cond.text) && !publishedRead(ex)) continue;
            if (pollsOwnCall(fn, loop, ex) || lockTakenInLoopHeld(fn, loop, ex)) continue;
            const verdict = firstOrdering(ex.after);
            // In a hunk fragment the code after the loop may be out of view: the unordered exit is
            // what the patch shows, so it is reported.
            if (verdict === 'safe' || (verdict === 'none' && !fn.partial)) continue;
            report(fn, ex);
          }
        }
      },
    };

    /** A retry or poll loop: a helper the loop calls is handed the object the exit then tests
     *  (`status = send_cmd(hw, ..); if (hw->last_status != EBUSY) break;`, `port_status(hub, port,
     *  &st)` then `st & CONNECTED`). The value comes from this thread's own call, not from a
     *  hand-over by another CPU. */
    function pollsOwnCall(fn: FunctionModel, loop: SyntaxNode, ex: Exit): boolean {
      const base = /^[&*\s]*([A-Za-z_]\w*)/.exec(flagExprOf(ex.read))?.[1];
      if (!base) return false;
      // Handed the object (`hw`, `&st`, `hub->port`), not a value read from it (`*pages` passed
      // to a log line cannot be written by the callee).
      const mentions = new RegExp(`^&?\\s*${base}\\b(?!\\s*\\[)|[^\\w.>*]&?\\s*${base}\\b(?!\\s*\\[)`);
      return fn.events.some((e) => e.kind === 'call' && !e.primitive && within(e, loop) && !TRACE_CALL.test(e.callee) && e.args.some((a) => mentions.test(a.replace(/"(?:[^"\\]|\\.)*"/g, '""').trim())));
    }

    /** The exit is tested with a lock held that the loop itself drops and takes again (`unlock;
     *  cpu_relax(); lock;` or `unlock; wait_event(..); lock;` around the test, the lock taken
     *  before the loop or by the caller): the lock's ACQUIRE orders the read and what follows. */
    function lockTakenInLoopHeld(fn: FunctionModel, loop: SyntaxNode, ex: Exit): boolean {
      const last = new Map<string, { op: 'lock' | 'unlock'; at: number; dropAt: number | null }>();
      for (const e of fn.events) {
        if (e.kind !== 'call' || !within(e, loop) || !e.primitive || (e.primitive.op !== 'lock' && e.primitive.op !== 'unlock')) continue;
        const expr = lockExprOf(e, e.primitive);
        if (!expr) continue;
        const prev = last.get(expr);
        if (e.primitive.op === 'unlock') last.set(expr, { op: 'unlock', at: e.node.startIndex, dropAt: e.node.startIndex });
        else last.set(expr, { op: 'lock', at: e.node.startIndex, dropAt: prev?.op === 'unlock' ? prev.dropAt : (prev?.dropAt ?? null) });
      }
      const testAt = ex.cond.startIndex;
      return [...last.values()].some((r) => r.op === 'lock' && r.dropAt != null && !(testAt > r.dropAt && testAt < r.at));
    }

    /** The first use after the exit (a load primitive or the returned value) reads another field
     *  of the object whose flag ended the wait: `req->done` ... `return req->status;`. */
    function publishedRead(ex: Exit): boolean {
      const flag = /(\w+)\s*(->|\.)\s*(\w+)/.exec(ex.read);
      if (!flag) return false;
      const [, base, op, field] = flag;
      for (const e of ex.after) {
        let text: string | null = null;
        if (e.kind === 'return') text = e.value ?? '';
        else if (e.kind === 'call' && e.primitive?.op === 'load') text = e.node.text;
        else continue;
        const m = new RegExp(`\\b${base}\\s*${op === '->' ? '->' : '\\.'}\\s*(\\w+)`).exec(text);
        return !!m && m[1] !== field;
      }
      return false;
    }

    /** 'safe' when an ACQUIRE comes first, 'use' when a load or the return comes first. */
    function firstOrdering(evs: AnalysisEvent[]): 'safe' | 'use' | 'none' {
      for (const [k, e] of evs.entries()) {
        if (e.kind === 'return') return 'use';
        if (e.kind !== 'call' || !e.primitive) continue;
        const p = e.primitive;
        // The exit's read comes before evs[0] and is a load, not an RMW: smp_mb__after_atomic()
        // orders it only with an atomic RMW between the exit and itself (fenceHolds from 0).
        if (p.op === 'fence' && isAcquireFence(p) && fenceHolds(evs, k, 0, null)) return 'safe';
        if ((p.op === 'load' || p.op === 'wait') && (p.ordering === 'acquire' || p.ordering === 'full')) return 'safe';
        if (p.op === 'lock' || p.op === 'trylock' || (p.op === 'rmw' && (p.ordering === 'full' || p.ordering === 'acquire'))) return 'safe';
        if (p.op === 'load') return 'use';
      }
      return 'none';
    }

    function report(fn: FunctionModel, ex: Exit): void {
      const line = fn.unit.lineMap[ex.cond.startPosition.row] ?? 0;
      const flagExpr = flagExprOf(ex.read);
      const f = herdName(flagExpr, 'flag');
      const d = herdName('', 'shared_data', [f]);
      const readStmt = ex.plain ? `r0 = *${f};` : `r0 = READ_ONCE(*${f});`;
      const litmus = renderLitmus({
        name: litmusName(ID, fn),
        comment: [
          `lockreview ${ID}: ${fn.unit.file}:${line} ${fn.name}()`,
          `P0 hands the lock over: it writes ${d} (its critical section) and then releases ${f} (${f} = 0) with RELEASE.`,
          `P1 waits in ${fn.name}() and leaves its loop on ${ex.read}, an unordered read, then reads ${d}.`,
          `Bad outcome: P1 saw the hand-over but reads ${d} from before it.`,
        ],
        init: { [f]: 1, [d]: 0 },
        vars: [f, d],
        p0regs: [],
        p0: [`WRITE_ONCE(*${d}, 1);`, `smp_store_release(${f}, 0);`],
        p1regs: ['r0', 'r1'],
        p1: [readStmt, 'if (r0 == 0)', `\tr1 = READ_ONCE(*${d});`],
        exists: '1:r0=0 /\\ 1:r1=0',
      });
      ctx.report({
        unit: fn.unit,
        fn,
        line,
        key: flagExpr,
        message: `the wait loop in ${fn.name}() ends on \`${ex.cond.text.replace(/\s+/g, ' ')}\`, which reads ${flagExpr} without ACQUIRE, and the code after it goes on as the new owner: later loads can see data from before the hand-over; use smp_load_acquire()/test_bit_acquire()/atomic_read_acquire() or smp_acquire__after_ctrl_dep() after the loop`,
        reproduction: {
          litmus,
          interleaving: interleaving(
            'hand-over observed without ACQUIRE',
            [
              { cpu: 1, action: `r1 = READ_ONCE(${d});`, note: 'speculated early: only stores are ordered by the control dependency' },
              { cpu: 0, action: `WRITE_ONCE(${d}, 1);  /* previous owner's critical section */` },
              { cpu: 0, action: `smp_store_release(&${flagExpr}, 0);  /* hand-over */` },
              { cpu: 1, action: ex.cond.text.replace(/\s+/g, ' '), file: fn.unit.file, line, note: 'sees the hand-over and leaves the loop' },
            ],
            `CPU1 owns the lock but its read of ${d} predates CPU0's critical section`,
          ),
        },
      });
    }
  },
};
