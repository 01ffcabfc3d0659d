// What kind of sequence counter an expression names, which decides what its readers and writers
// may do: a plain seqcount_t (writer must disable preemption itself), a seqcount_LOCKNAME_t with a
// lock that sleeps on PREEMPT_RT (readers may take that lock), a raw-spinlock one, a seqlock_t
// (embedded spinlock_t), a u64_stats_sync (a plain seqcount_t on 32-bit) or a latch.
//
// Sources, most trusted first: the API itself (read_seqbegin() only takes a seqlock_t,
// u64_stats_*() a u64_stats_sync), declarations and seqcount_*_init() calls in the analysed text,
// then rules/field-types.yaml. Unknown stays unknown: the checks then stay silent.

import type { AnalysisUnit, FunctionModel, KnowledgeBase } from '../../engine/types.js';
import { classesOf, stripExpr } from '../srcu/srcu-expr.js';

export type CounterKind = 'plain' | 'lockname-sleeping' | 'lockname-raw' | 'seqlock' | 'u64_stats' | 'latch' | 'unknown';

export interface CounterType {
  kind: CounterKind;
  type: string; // C type, e.g. "seqcount_spinlock_t"
  lock: string | null; // associated lock, when known
  source: string; // where the type was learnt
}

const SEQLOCK_API = /^(read_seqbegin|read_seqretry|write_seqlock\w*|write_sequnlock\w*|read_seqbegin_or_lock\w*|need_seqretry|done_seqretry\w*|read_seqlock_excl\w*|read_sequnlock_excl\w*)$/;

export function kindOfType(type: string): CounterKind {
  const t = type.replace(/\s+/g, ' ').trim();
  if (t === 'seqcount_t') return 'plain';
  if (/^seqcount_(spinlock|rwlock|mutex|ww_mutex)_t$/.test(t)) return 'lockname-sleeping';
  if (t === 'seqcount_raw_spinlock_t') return 'lockname-raw';
  if (t === 'seqcount_latch_t') return 'latch';
  if (t === 'seqlock_t') return 'seqlock';
  if (/u64_stats_sync/.test(t)) return 'u64_stats';
  return 'unknown';
}

interface Decl {
  type: string;
  lock: string | null;
}

const declCache = new WeakMap<AnalysisUnit, Map<string, Decl | null>>();

/** Field / variable name -> declared counter type, from one unit's text (null: conflicting). */
function declarations(unit: AnalysisUnit): Map<string, Decl | null> {
  const hit = declCache.get(unit);
  if (hit) return hit;
  const out = new Map<string, Decl | null>();
  const add = (name: string, d: Decl): void => {
    const prev = out.get(name);
    if (prev === undefined) out.set(name, d);
    else if (prev && prev.type !== d.type) out.set(name, null);
    else if (prev && !prev.lock && d.lock) out.set(name, d);
  };
  const text = unit.text;
  for (const m of text.matchAll(/\b(seqcount(?:_(?:raw_spinlock|spinlock|rwlock|mutex|ww_mutex|latch))?_t|seqlock_t)\s+(\w+)\s*(?=[;,=[)])/g)) add(m[2]!, { type: m[1]!, lock: null });
  for (const m of text.matchAll(/\bstruct\s+u64_stats_sync\s+(\w+)\s*[;,[]/g)) add(m[1]!, { type: 'struct u64_stats_sync', lock: null });
  for (const m of text.matchAll(/\bseqcount_(raw_spinlock|spinlock|rwlock|mutex|ww_mutex)_init\s*\(\s*&?\s*([^,]+?)\s*,\s*&?\s*([^)]+?)\s*\)/g)) {
    const name = /(\w+)\s*$/.exec(m[2]!)?.[1];
    if (name) add(name, { type: `seqcount_${m[1]}_t`, lock: stripExpr(m[3]!) });
  }
  for (const m of text.matchAll(/\bseqcount_init\s*\(\s*&?\s*([^)]+?)\s*\)/g)) {
    const name = /(\w+)\s*$/.exec(m[1]!)?.[1];
    if (name) add(name, { type: 'seqcount_t', lock: null });
  }
  for (const m of text.matchAll(/\b(?:seqlock_init\s*\(\s*&?\s*([^)]+?)\s*\)|DEFINE_SEQLOCK\s*\(\s*(\w+)\s*\))/g)) {
    const name = /(\w+)\s*$/.exec(m[1] ?? m[2] ?? '')?.[1];
    if (name) add(name, { type: 'seqlock_t', lock: null });
  }
  declCache.set(unit, out);
  return out;
}

/** The type of the counter `expr` passed to `api`, looking at every analysed unit of the file/series. */
export function counterType(api: string, expr: string, fn: FunctionModel, units: readonly AnalysisUnit[], kb: KnowledgeBase): CounterType {
  if (/^u64_stats_/.test(api)) return { kind: 'u64_stats', type: 'struct u64_stats_sync', lock: null, source: `${api}() takes a u64_stats_sync` };
  if (SEQLOCK_API.test(api)) return { kind: 'seqlock', type: 'seqlock_t', lock: null, source: `${api}() takes a seqlock_t` };
  if (/latch/.test(api)) return { kind: 'latch', type: 'seqcount_latch_t', lock: null, source: `${api}() takes a seqcount_latch_t` };
  const e = stripExpr(expr);
  const name = /(\w+)\s*$/.exec(e)?.[1];
  if (name) {
    let found: Decl | null | undefined;
    for (const u of [fn.unit, ...units.filter((x) => x !== fn.unit)]) {
      const d = declarations(u).get(name);
      if (d === null) return { kind: 'unknown', type: '', lock: null, source: 'conflicting declarations' };
      if (d && !found) found = d;
    }
    if (found) return { kind: kindOfType(found.type), type: found.type, lock: found.lock, source: `declared as ${found.type}` };
    const local = fn.locals.get(name) ?? fn.params.get(name);
    if (local && e === name) return { kind: kindOfType(local.replace(/\*/g, '').trim()), type: local, lock: null, source: 'local declaration' };
  }
  for (const c of classesOf(e, fn)) {
    const f = kb.fieldType(c);
    if (f) return { kind: kindOfType(f.type), type: f.type, lock: f.associatedLock ?? null, source: `rules/field-types.yaml (${f.pattern})` };
  }
  return { kind: 'unknown', type: '', lock: null, source: 'unknown' };
}

/** Units of every analysed function (for declarations outside the function at hand). */
export function unitsOf(fns: readonly FunctionModel[]): AnalysisUnit[] {
  return [...new Set(fns.map((f) => f.unit))];
}
