// bitlock-failed-cmpxchg-ordering: code that acts on a *failed* cmpxchg as if it were ordered,
// typically a claim loop that returns "already pending/claimed, the owner will see our updates"
// when the compare-and-swap fails.
//
// Approach: for each cmpxchg/try_cmpxchg in a function named like a claim/lock (or whose values
// name a LOCKED/CLAIMED/... constant), look for a branch that tests the value the failed cmpxchg
// returned (cmpxchg's result, or try_cmpxchg's updated `old`) against a PENDING/CLAIMED/LOCKED/
// BUSY/RUNNING/QUEUED flag and returns. A failed cmpxchg is not a barrier (Documentation/
// atomic_t.txt), so the caller's earlier stores are not ordered before the read that saw the flag;
// the owner that clears it may miss them. Flagged unless a full barrier precedes the return.
// The fix is an RMW that is ordered whether or not it changes the value (atomic_fetch_or,
// xchg) or smp_mb() on the failure path.
// Blind spots: failure paths that do not return (they set a flag and fall through), and reliance
// on the failed cmpxchg's ordering in a caller.
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { CallEvent, Check, FunctionModel } from '../../engine/types.js';
import { normaliseExpr } from '../../engine/index.js';
import { callText, constTokens, fenceHolds, isAcquireFence, isLockishText, LOCKISH_FN, rmwFlavour, wordOfCall } from './lock-word.js';
import { herdName, interleaving, litmusName, renderLitmus } from './litmus.js';

const ID = 'bitlock-failed-cmpxchg-ordering';
/** Flags that mean "someone else will process it" (a failed trylock on LOCKED orders nothing). */
const FLAG = /PENDING|QUEUED|CLAIMED|SCHED/;

function enclosingLoop(n: SyntaxNode, stop: SyntaxNode): SyntaxNode | null {
  for (let p = n.parent; p && p.id !== stop.id; p = p.parent) if (/^(while|for|do)_statement$/.test(p.type)) return p;
  return null;
}

function returns(n: SyntaxNode | null): SyntaxNode | null {
  if (!n) return null;
  if (n.type === 'return_statement') return n;
  if (n.type === 'compound_statement') for (const c of n.namedChildren) if (c?.type === 'return_statement') return c;
  return null;
}

export const failedCmpxchgOrdering: Check = {
  meta: {
    id: ID,
    class: 'bitlock',
    severity: 'warning',
    title: 'Ordering assumed from a failed cmpxchg',
    help:
      'A cmpxchg() or try_cmpxchg() that fails is not a memory barrier: only a successful one is fully ordered. Code that sees a PENDING/CLAIMED bit in the failed cmpxchg\'s result and returns, trusting the owner to see its earlier stores, can lose those stores. Use an RMW that is ordered unconditionally (atomic_fetch_or(), xchg()) or add smp_mb() on the failure path.',
    docs: ['Documentation/atomic_t.txt (cmpxchg failure is unordered)', 'Documentation/memory-barriers.txt'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        fn.events.forEach((ev, i) => {
          if (ev.kind !== 'call' || ev.primitive?.op !== 'rmw') return;
          const flav = rmwFlavour(ev.primitive.name);
          if (flav !== 'cmpxchg' && flav !== 'try_cmpxchg') return;
          if (!LOCKISH_FN.test(fn.name) && !isLockishText(ev.args.join(' '))) return;
          const result = flav === 'cmpxchg' ? (ev.resultUse.kind === 'assign' ? ev.resultUse.target : undefined) : normaliseExpr(ev.args[1] ?? '');
          if (!result || !/^\w+$/.test(result)) return;
          const expected = normaliseExpr(ev.args[1] ?? '');
          const scope = enclosingLoop(ev.node, fn.node) ?? fn.node;
          for (const ifs of scope.descendantsOfType('if_statement')) {
            if (!ifs) continue;
            const cond = ifs.childForFieldName('condition');
            if (!cond) continue;
            const text = cond.text;
            if (!new RegExp(`\\b${result}\\b`).test(text)) continue;
            if (!constTokens(text).some((t) => FLAG.test(t))) continue;
            // `if (try_cmpxchg(...)) return true;` tests success, not the failed value.
            if (ev.node.startIndex >= cond.startIndex && ev.node.endIndex <= cond.endIndex) continue;
            if (flav === 'cmpxchg' && new RegExp(`\\b${result}\\s*[!=]=\\s*${expected.replace(/\W/g, '\\$&')}\\b`).test(text)) continue;
            // Outside a loop the test must come after the cmpxchg; inside one it may be anywhere.
            if (scope === fn.node && ifs.startIndex < ev.node.endIndex) continue;
            const ret = returns(ifs.childForFieldName('consequence'));
            if (!ret) continue;
            if (fencedIn(fn, i, ifs, ret)) continue;
            report(fn, ev, i, text.replace(/\s+/g, ' '), ret);
            return;
          }
        });
      },
    };

    /** A full barrier on the failure path: inside the `if`, before its return. A failed cmpxchg
     *  is no RMW (atomic_t.txt: unordered on failure), so smp_mb__after_atomic() counts only with
     *  another atomic RMW (or an unknown call) between the cmpxchg and itself (fenceHolds). */
    function fencedIn(fn: FunctionModel, cmpxchgIndex: number, ifs: SyntaxNode, ret: SyntaxNode): boolean {
      return fn.events.some(
        (e, k) =>
          e.kind === 'call' &&
          isAcquireFence(e.primitive) &&
          e.primitive?.ordering === 'full' &&
          e.node.startIndex > ifs.startIndex &&
          e.node.startIndex < ret.startIndex &&
          fenceHolds(fn.events, k, cmpxchgIndex + 1, null),
      );
    }

    function report(fn: FunctionModel, ev: CallEvent, _i: number, cond: string, ret: SyntaxNode): void {
      const word = wordOfCall(ev)?.word ?? 'word';
      const w = herdName(word, 'flags');
      const d = herdName('', 'shared_data', [w]);
      const litmus = renderLitmus({
        name: litmusName(ID, fn),
        comment: [
          `lockreview ${ID}: ${fn.unit.file}:${ev.line} ${fn.name}()`,
          `${w} = 1 stands for "already pending". P0 publishes ${d}, then tries ${callText(ev)}; it fails`,
          `(the flag is set) and P0 returns on ${cond}, trusting the owner to see ${d}.`,
          `P1 is the owner: it clears the flag with a fully ordered xchg and then reads ${d}.`,
          `Bad outcome: P0's cmpxchg failed on the old flag, yet P1 does not see ${d}.`,
        ],
        init: { [w]: 1, [d]: 0 },
        vars: [w, d],
        p0regs: ['r0'],
        p0: [`WRITE_ONCE(*${d}, 1);`, `r0 = cmpxchg(${w}, 0, 2);`],
        p1regs: ['r1', 'r2'],
        p1: [`r1 = xchg(${w}, 0);`, `r2 = READ_ONCE(*${d});`],
        exists: '0:r0=1 /\\ 1:r1=1 /\\ 1:r2=0',
      });
      ctx.report({
        unit: fn.unit,
        fn,
        line: ev.line,
        key: word,
        message: `${fn.name}() returns on \`${cond}\` after ${callText(ev)} failed, relying on ordering the failed cmpxchg does not give: a failed cmpxchg is not a barrier, so the stores before it may not be visible to the owner that clears the flag; use an unconditionally ordered RMW (atomic_fetch_or(), xchg()) or smp_mb() on that path`,
        introducedLines: [ev.line, fn.unit.lineMap[ret.startPosition.row] ?? ev.line],
        reproduction: {
          litmus,
          interleaving: interleaving(
            'failed cmpxchg treated as a barrier',
            [
              { cpu: 0, action: `WRITE_ONCE(${d}, 1);  /* work the owner must see */`, note: 'not yet visible to other CPUs' },
              { cpu: 0, action: callText(ev) + ';', file: fn.unit.file, line: ev.line, note: 'fails: sees the flag still set; a failed cmpxchg orders nothing' },
              { cpu: 0, action: ret.text.replace(/\s+/g, ' '), note: `returns on ${cond}` },
              { cpu: 1, action: `xchg(&${word}, 0);  /* owner clears the pending flag and runs */` },
              { cpu: 1, action: `r2 = READ_ONCE(${d});`, note: "reads the old value: CPU0's store is still in flight" },
            ],
            `CPU0 returned because the work was "pending", but CPU1's run did not see ${d}`,
          ),
        },
      });
    }
  },
};
