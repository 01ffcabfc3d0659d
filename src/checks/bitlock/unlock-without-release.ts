// bitlock-unlock-without-release: a word used as a lock is released by a store with no RELEASE
// ordering (clear_bit, WRITE_ONCE, atomic_set, atomic_long_set, local_set, a plain store).
//
// Approach: lock words and their acquisitions come from lock-word.ts (an RMW that sets a
// LOCKED/BUSY/... value, or a test-and-set / compare-and-swap in a *lock*/*claim* function, whose
// result is used). A release candidate is a later store or clearing RMW of the same word (same field
// and bit) in the acquiring function, or any such store in another function of the file/series
// that is not an initialiser (by its name, or a store into an object the function allocated
// itself). It is flagged unless the primitive is RELEASE or fully ordered
// (clear_bit_unlock, smp_store_release, atomic*_set_release, xchg, test_and_clear_bit) or a full
// barrier (smp_mb, smp_mb__before_atomic) comes right before it with no access in between. A
// barrier after the release does not help, and smp_wmb() does not order the critical section's
// loads. smp_mb__before_atomic() counts only before an atomic RMW release (clear_bit,
// atomic_andnot); before WRITE_ONCE(), atomic_set() or a plain store it orders nothing
// (atomic_t.txt), and smp_mb__after_atomic() counts only right after an atomic RMW (lock-word.ts
// fenceHolds). The reproduction is a litmus test: CPU0 ends its critical section with the patch's
// release, CPU1 takes the lock and touches the same data.
// Blind spots: words whose acquisition is out of view (hunk-only mode, another file), locks
// recognised only through unusual names, releases through a helper function, and words reached
// through different field names; a store in another function that is really a re-initialisation
// under some outer exclusion is reported too, unless that exclusion is a real lock held at the
// release, declared by the function (__must_hold, lockdep_assert_held) or held at every call of a
// static function.
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { Check, FunctionModel, HeldLock } from '../../engine/types.js';
import type { InterleavingStep } from '../../model/index.js';
import { accessesBetween, acquisitions, acquireSite, callText, clearsLockish, fenceBefore, rmwFlavour, isInitFunction, releaseCandidate, wordOfCall, type WordSite } from './lock-word.js';
import { herdAcquire, herdName, herdRelease, interleaving, litmusName, renderLitmus } from './litmus.js';

const ID = 'bitlock-unlock-without-release';
const UNLOCK_WRAPPER = /_unlock(_irq|_irqrestore|_bh)?$/;

const REAL_LOCK_KINDS: ReadonlySet<string> = new Set(['spinlock', 'raw_spinlock', 'rwlock', 'mutex', 'rwsem', 'bit_spinlock']);
const isRealExclusive = (l: HeldLock) => l.mode === 'exclusive' && REAL_LOCK_KINDS.has(l.kind);

function suggestion(rel: WordSite): string {
  const name = rel.primitive?.name ?? '';
  if (rel.bit) return 'clear_bit_unlock() (or smp_mb__before_atomic() before clear_bit())';
  if (/^atomic64_set$/.test(name)) return 'atomic64_set_release()';
  if (/^atomic_long_set$/.test(name)) return 'atomic_long_set_release()';
  if (/^atomic_set$/.test(name)) return 'atomic_set_release()';
  if (/^local/.test(name)) return 'an atomic_t with atomic_set_release() (local_t is not SMP-ordered)';
  return 'smp_store_release()';
}

export const unlockWithoutRelease: Check = {
  meta: {
    id: ID,
    class: 'bitlock',
    severity: 'warning',
    title: 'Hand-rolled lock released without RELEASE ordering',
    help:
      'A word used as a lock (taken with test_and_set_bit, cmpxchg, xchg or an atomic RMW of a LOCKED/BUSY bit) must be released with RELEASE semantics, so that every access of the critical section is visible before the next owner can take the lock. clear_bit(), WRITE_ONCE(), atomic_set(), local_set() and plain stores are unordered: the critical section can leak past the release. Use clear_bit_unlock(), smp_store_release(), atomic_set_release()/atomic_long_set_release(), or put smp_mb__before_atomic() before clear_bit(); a barrier placed after the release does not help.',
    docs: ['Documentation/atomic_bitops.txt', 'Documentation/atomic_t.txt', 'Documentation/memory-barriers.txt (ACQUIRE and RELEASE operations)'],
  },
  create(ctx) {
    // Declared before the hooks are returned: a `let` after the return would never be initialised.
    let unlockerNames: Set<string> | null = null;
    return {
      onEnd() {
        const fns = ctx.functions();
        const acq = acquisitions(fns);
        for (const fn of fns) {
          fn.events.forEach((ev, i) => {
            const rel = releaseCandidate(fn, ev, i);
            if (!rel) return;
            const sites = acq.get(rel.key);
            if (!sites?.length) {
              // Hunk-only review often shows the unlock without the lock: a changed line that clears
              // a LOCK bit (clear_bit(X_LOCKED, w), w & ~X_LOCKED) is an unlock by its name.
              if (fn.unit.mode !== 'hunk' || !ev.changed || acquireSite(fn, ev, i)) return;
              const value = rel.ev.kind === 'store' ? rel.ev.value : rel.bit ?? (rel.ev.kind === 'call' ? rel.ev.args.join(' ') : '');
              // An and-not RMW names the bits it clears in its mask argument: atomic_andnot(X_LOCKED, w).
              const flav = rel.primitive ? rmwFlavour(rel.primitive.name) : 'other';
              const mask = rel.ev.kind === 'call' && (flav === 'andnot' || flav === 'fetch_andnot') ? (rel.ev.args[0] ?? '') : null;
              const named = rel.bit ? /LOCK/.test(rel.bit) && !/UNLOCK/.test(rel.bit) : mask !== null ? /LOCK/.test(mask) && !/UNLOCK/.test(mask) : clearsLockish(value);
              if (!named || rel.ordering === 'release' || (rel.ordering === 'full' && rel.primitive?.op === 'rmw')) return;
              if (fenceBefore(fn, i).fence || underOtherLock(fn, i, [])) return;
              const { weak, unpaired } = fenceBefore(fn, i);
              report(fn, rel, null, -1, weak, unpaired);
              return;
            }
            if (acquireSite(fn, ev, i)) return;
            const own = sites.filter((s) => s.fn === fn && s.index < i).at(-1);
            const other = sites.find((s) => s.fn !== fn);
            const pair = own ?? (other && !isInitFunction(fn.name) && !allocatedBefore(fn, rel) && !sites.some((s) => s.fn === fn) ? other : undefined);
            if (!pair) return;
            if (rel.ordering === 'release' || (rel.ordering === 'full' && rel.primitive?.op === 'rmw')) return;
            if (!releasesValue(rel, pair)) return;
            if (underOtherLock(fn, i, sites)) return;
            const { fence, weak, unpaired } = fenceBefore(fn, i);
            if (fence) return;
            report(fn, rel, pair, own ? pair.index : -1, weak, unpaired);
          });
        }
      },
    };

    /** The word's object was allocated earlier in this function (`zram = kzalloc(..);` ...
     *  `atomic_set(&zram->busy, 0);`): the store initialises an object no other CPU can see yet. */
    function allocatedBefore(fn: FunctionModel, rel: WordSite): boolean {
      const base = /^[A-Za-z_]\w*/.exec(rel.word)?.[0];
      if (!base || !/->/.test(rel.word)) return false;
      const upto = fn.node.text.slice(0, rel.ev.node.startIndex - fn.node.startIndex);
      return new RegExp(`\\b${base}\\s*=\\s*(?:\\([^()]*\\)\\s*)?\\w*(?:alloc|zalloc|_new)\\w*\\s*\\(`).test(upto);
    }

    /** Functions of the analysis that release a real lock (put_x_header() -> x_unlock()). */
    function unlockers(): Set<string> {
      unlockerNames ??= new Set(
        ctx
          .functions()
          .filter((f) => f.events.some((e) => e.kind === 'call' && (e.primitive?.op === 'unlock' || (!e.primitive && UNLOCK_WRAPPER.test(e.callee)))))
          .map((f) => f.name),
      );
      return unlockerNames;
    }

    /** The store puts the word back to "free": 0/NULL, the value the acquisition expected, the word
     *  with the lock bit cleared, or a variable (a saved old value). Other constants and computed
     *  values are state changes of a word that is not (only) a lock. */
    function releasesValue(rel: WordSite, acq: WordSite): boolean {
      if (rel.bit) return true;
      let value: string;
      if (rel.ev.kind === 'store') value = rel.ev.value;
      else if (rel.primitive?.op === 'rmw' && rmwFlavour(rel.primitive.name) !== 'xchg') return true; // andnot of a LOCKED bit
      else if (rel.primitive?.op === 'rmw') value = rel.ev.args[1] ?? '';
      else value = rel.ev.args[(rel.primitive?.lockArg ?? 0) === 0 ? 1 : 0] ?? '';
      const v = value.replace(/\s+/g, '').replace(/^\((?:unsigned)?\w*\*?\)/, '');
      if (/^(0|0UL|0L|NULL|false)$/.test(v)) return true;
      const expected = acq.ev.kind === 'call' ? (acq.ev.args[1] ?? '').replace(/\s+/g, '') : '';
      if (expected && v === expected && /^[A-Z_][A-Z0-9_]*$/.test(v)) return true;
      if (clearsLockish(v)) return true;
      return /^_*[a-z]\w*$/.test(v) && v !== v.toUpperCase();
    }

    /** A static function whose every call in view is made with a real lock held exclusively (a
     *  cleanup helper its only caller runs under down_write()): the release is inside that lock. */
    function calledOnlyUnderLock(fn: FunctionModel): boolean {
      if (!/^\s*static\b/.test(fn.node.text)) return false;
      const calls = ctx.functions().flatMap((f) => f.events.filter((e) => e.kind === 'call' && e.callee === fn.name && f !== fn));
      return calls.length > 0 && calls.every((e) => e.ctx.locks.some(isRealExclusive));
    }

    /** A real lock (or a *_lock() wrapper not of this word) is held around the release: that lock's
     *  ordering, not the word's, is what the code relies on. */
    function underOtherLock(fn: FunctionModel, index: number, sites: WordSite[]): boolean {
      const ev = fn.events[index]!;
      if (ev.ctx.locks.some(isRealExclusive) || fn.callersHold.some(isRealExclusive) || calledOnlyUnderLock(fn)) return true;
      const own = new Set(sites.map((s) => s.fn.name));
      const held: string[] = [];
      for (let k = 0; k < index; k++) {
        const e = fn.events[k]!;
        if (e.kind !== 'call' || e.primitive || own.has(e.callee)) continue;
        const lock = /^(\w+?)_(?:try)?lock(?:_irq|_irqsave|_bh|_nested)?$/.exec(e.callee);
        const unlock = /^(\w+?)_unlock(?:_irq|_irqrestore|_bh)?$/.exec(e.callee);
        if (lock) held.push(lock[1]!);
        else if (unlock && !beforeReturn(e.node)) {
          const at = held.lastIndexOf(unlock[1]!);
          if (at >= 0) held.splice(at, 1);
        }
      }
      if (held.length) return true;
      // Released inside a region that a real unlock ends right after (`clear_bit(); x_unlock();`).
      for (let k = index + 1; k < fn.events.length; k++) {
        const e = fn.events[k]!;
        if (e.kind === 'return') break;
        if (e.kind === 'call' && (e.primitive?.op === 'unlock' || (!e.primitive && (UNLOCK_WRAPPER.test(e.callee) || unlockers().has(e.callee))))) return true;
        if (e.kind === 'call' && e.primitive && e.primitive.op !== 'fence') break;
      }
      return false;
    }

    /** An unlock on an early-exit path (`x_unlock(); return;`) leaves the lock held on the main path. */
    function beforeReturn(n: SyntaxNode): boolean {
      let stmt: SyntaxNode | null = n;
      while (stmt && stmt.parent && stmt.parent.type !== 'compound_statement') stmt = stmt.parent;
      for (let s = stmt?.nextNamedSibling ?? null; s; s = s.nextNamedSibling) if (s.type === 'return_statement') return true;
      return false;
    }

    function report(fn: FunctionModel, rel: WordSite, acq: WordSite | null, from: number, weak: ReturnType<typeof fenceBefore>['weak'], unpaired: ReturnType<typeof fenceBefore>['unpaired']): void {
      const cs = accessesBetween(fn, from, rel.index, rel.word);
      const w = herdName(rel.word, 'lockword');
      const firstStore = cs.find((e) => e.kind === 'store' || (e.kind === 'call' && e.primitive?.op === 'store'));
      const firstLoad = cs.find((e) => e.kind === 'call' && e.primitive?.op === 'load');
      const dataExpr = firstStore ? (firstStore.kind === 'store' ? firstStore.target : (wordOfCall(firstStore as never)?.word ?? '')) : firstLoad ? (wordOfCall(firstLoad as never)?.word ?? '') : '';
      const d = herdName(dataExpr, 'shared_data', [w]);
      const loadShape = !!weak || (!firstStore && !!firstLoad);
      const a = herdAcquire(acq, w);
      const releaseLines = herdRelease(rel, w, weak);
      const csText = firstStore && !loadShape ? callText(firstStore) : firstLoad && loadShape ? callText(firstLoad) : null;
      const comment = [
        `lockreview ${ID}: ${rel.fn.unit.file}:${rel.ev.line} ${fn.name}()`,
        acq ? `${rel.word} is a lock word: ${acq.text} in ${acq.fn.name}() takes it.` : `${rel.word} is a lock word (${rel.text} clears its lock bit); its acquisition is not in view, modelled as a correct ACQUIRE.`,
        `P0 owns the lock, ${loadShape ? 'reads' : 'writes'} ${d} in its critical section${csText ? ` (${csText})` : ''} and releases`,
        `the lock with ${rel.text}. P1 takes the lock (${a.note}) and ${loadShape ? 'writes' : 'reads'} ${d}.`,
        loadShape ? `Bad outcome: P0's critical-section read sees P1's write.` : `Bad outcome: P1 owns the lock but reads ${d} from before P0's critical section.`,
      ];
      const litmus = renderLitmus(
        loadShape
          ? {
              name: litmusName(ID, fn),
              comment,
              init: { [w]: 1 },
              vars: [w, d],
              p0regs: ['r1', ...(releaseLines.some((l) => l.includes('r9')) ? ['r9'] : [])],
              p0: [`r1 = READ_ONCE(*${d});`, ...releaseLines],
              p1regs: ['r0'],
              p1: [a.stmt, 'if (r0 == 0)', `\tWRITE_ONCE(*${d}, 1);`],
              exists: '1:r0=0 /\\ 0:r1=1',
            }
          : {
              name: litmusName(ID, fn),
              comment,
              init: { [w]: 1, [d]: 0 },
              vars: [w, d],
              p0regs: releaseLines.some((l) => l.includes('r9')) ? ['r9'] : [],
              p0: [`WRITE_ONCE(*${d}, 1);`, ...releaseLines],
              p1regs: ['r0', 'r1'],
              p1: [a.stmt, 'if (r0 == 0)', `\tr1 = READ_ONCE(*${d});`],
              exists: '1:r0=0 /\\ 1:r1=0',
            },
      );
      const file = rel.fn.unit.file;
      const steps: InterleavingStep[] = [
        { cpu: 0, action: csText ?? (loadShape ? `r1 = READ_ONCE(${d});  /* critical section */` : `WRITE_ONCE(${d}, 1);  /* critical section */`) },
        { cpu: 0, action: rel.text + ';', file, line: rel.ev.line, note: weak ? `${weak.callee}() before it orders only earlier stores` : unpaired ? `${unpaired.callee}() before it has no atomic RMW to pair with: it orders nothing` : 'no RELEASE: the critical section may become visible after this store' },
        acq ? { cpu: 1, action: acq.text + ';', file: acq.fn.unit.file, line: acq.ev.line, note: 'sees the lock free and takes it' } : { cpu: 1, action: `/* takes ${rel.word} */`, note: 'sees the lock free and takes it' },
        { cpu: 1, action: loadShape ? `WRITE_ONCE(${d}, 1);` : `r1 = READ_ONCE(${d});` },
      ];
      ctx.report({
        unit: fn.unit,
        fn,
        line: rel.ev.line,
        key: rel.key,
        message: `${rel.word} is used as a lock (${acq ? `taken by ${acq.text} in ${acq.fn.name}()` : 'its lock bit is cleared here'}) but released by ${rel.text}, which has no RELEASE ordering${weak ? ` (${weak.callee}() orders only stores)` : unpaired ? ` (${unpaired.callee}() on line ${unpaired.line} is a full barrier only together with an atomic read-modify-write, and ${unpaired.primitive?.pairedRmw === 'following' ? `${rel.text} is not one` : 'the access before it is not one'}: it orders nothing here, atomic_t.txt)` : ''}: the critical section can be reordered past the release and race with the next owner; use ${suggestion(rel)}`,
        reproduction: {
          litmus,
          interleaving: interleaving(
            'lock hand-over without RELEASE',
            steps,
            loadShape ? `CPU0's critical section reads ${d} after CPU1 took the lock and wrote it` : `CPU1 owns ${rel.word} but reads ${d} from before CPU0's critical section`,
          ),
        },
      });
    }
  },
};
