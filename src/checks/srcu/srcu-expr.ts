// Expression helpers shared by the srcu and seqcount checks: what srcu_struct / lock / counter a call
// acts on, and when two expressions written in different functions name the same object.
// Matching is by "class": the last pointer hop (`vcpu->kvm->srcu` and `kvm->srcu` are both
// `kvm->srcu`) and the root variable's struct type (`struct kvm *k; &k->srcu` is `kvm->srcu`).
// Blind spot: aliases through helper functions (`to_kvm_hv(kvm)->hv_lock`) only match themselves.

import type { AnalysisUnit, CallEvent, FunctionModel, KnowledgeBase, Primitive, SrcuSection } from '../../engine/types.js';

/** `&(kvm->srcu)` -> `kvm->srcu`; whitespace folded. */
export function stripExpr(e: string): string {
  let s = e.replace(/\s+/g, '');
  for (;;) {
    const before = s;
    s = s.replace(/^\((?:const)?(?:struct)?\w+\*?\)/, ''); // a cast
    if (s.startsWith('&')) s = s.slice(1);
    if (s.startsWith('(') && s.endsWith(')') && balanced(s.slice(1, -1))) s = s.slice(1, -1);
    if (s === before) return s;
  }
}

function balanced(s: string): boolean {
  let d = 0;
  for (const c of s) {
    if (c === '(') d++;
    else if (c === ')' && --d < 0) return false;
  }
  return d === 0;
}

/** Fill a primitive's lockExpr template ("{0}->kvm->srcu") from call arguments. */
export function applyTemplate(template: string, args: readonly string[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => {
    const a = stripExpr(args[Number(i)] ?? '');
    return /^[\w.>-]+$/.test(a) ? a : `(${a})`;
  });
}

/** The object a primitive call acts on (srcu_struct, seqcount, lock), or null. */
export function callTarget(ev: CallEvent, p: Primitive | undefined = ev.primitive): string | null {
  if (!p) return null;
  if (p.lockExpr) return stripExpr(applyTemplate(p.lockExpr, ev.args));
  const a = ev.args[p.lockArg ?? 0];
  return a === undefined ? null : stripExpr(a);
}

/** The srcu_struct of an open read-side section, with wrapper templates applied. */
export function sectionSsp(sec: SrcuSection, kb: KnowledgeBase): string {
  const p = kb.primitive(sec.via) ?? kb.wrappers().get(sec.via);
  const raw = stripExpr(sec.ssp);
  return p?.lockExpr ? stripExpr(applyTemplate(p.lockExpr, [raw])) : raw;
}

const typeName = (t: string | undefined): string | null => /struct\s+(\w+)\s*\*/.exec(t ?? '')?.[1] ?? null;

/** Class names an expression may go by, most specific first. */
export function classesOf(expr: string, fn: FunctionModel | null): string[] {
  const e = stripExpr(expr);
  const out = [e];
  const hops = e.split('->');
  if (hops.length >= 2) {
    const base = /([A-Za-z_]\w*)(?:\[[^\]]*\])?$/.exec(hops[hops.length - 2]!)?.[1];
    if (base) out.push(`${base}->${hops[hops.length - 1]}`);
    const root = hops[0]!;
    if (fn && /^[A-Za-z_]\w*$/.test(root)) {
      const t = typeName(fn.params.get(root) ?? fn.locals.get(root));
      if (t && t !== root) out.push([t, ...hops.slice(1)].join('->'));
      if (t && hops.length === 2) out.push(`${t}->${hops[1]}`);
    }
  }
  return [...new Set(out)];
}

export function sameObject(a: string, fa: FunctionModel | null, b: string, fb: FunctionModel | null): boolean {
  if (stripExpr(a) === stripExpr(b)) return true;
  // Only field-level names carry across functions; two bare locals never match.
  const cb = new Set(classesOf(b, fb).filter((c) => c.includes('->')));
  return classesOf(a, fa).some((c) => c.includes('->') && cb.has(c));
}

/** Does a fact pattern ("kvm->lock", "*->syncp", "rename_lock") name this expression? */
export function patternMatches(pattern: string, expr: string, fn: FunctionModel | null): boolean {
  const pat = pattern.replace(/\s+/g, '');
  const cls = classesOf(expr, fn);
  if (pat.startsWith('*->')) return cls.some((c) => c.endsWith(pat.slice(1)));
  return cls.includes(pat);
}

/** The post-image line of a syntax node of the unit (0 when it has none). */
export function nodeLine(unit: AnalysisUnit, row: number): number {
  return unit.lineMap[row] ?? 0;
}

/** Identifiers of a text, for "does this expression depend on that variable". */
export function identifiers(text: string): Set<string> {
  return new Set(text.match(/[A-Za-z_]\w*/g) ?? []);
}

/** Function models with this name (in hunk mode one function may arrive as several fragments). */
export function fragmentsOf(fns: readonly FunctionModel[], fn: FunctionModel): FunctionModel[] {
  return fns.filter((f) => f.name === fn.name && f.unit.file === fn.unit.file);
}

/** Plain frees of an object (include/linux/slab.h, vmalloc.h): what the free checks look for. */
export const FREE_CALL = /^(kfree|kfree_const|kvfree|vfree|kmem_cache_free|kfree_sensitive|kvfree_sensitive)$/;

/** Names of teardown functions (release, remove, cleanup ...): they run once per object. */
export const TEARDOWN_NAME = /(release|destroy|free|exit|cleanup|remove|unregister|fini|teardown|shutdown)/i;

// A unit's lines, split once per unit: in a scan the unit is the whole file, and splitting it for
// each of its functions costs more than a check's own work.
const rowsOfUnit = new WeakMap<AnalysisUnit, string[]>();

/** Whether no label, goto, return, break or continue stands on the unit's rows strictly between
 *  `from` and `to` (row indexes into the unit's text): the second follows the first on one path. */
export function noJumpBetween(unit: AnalysisUnit, from: number, to: number): boolean {
  let rows = rowsOfUnit.get(unit);
  if (!rows) rowsOfUnit.set(unit, (rows = unit.text.split('\n')));
  return !rows.slice(from + 1, to).some((r) => /^\s*[A-Za-z_]\w*\s*:(?!:)|\bgoto\b|\breturn\b|\bbreak\b|\bcontinue\b/.test(r));
}
