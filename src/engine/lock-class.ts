// Lock expressions and lock classes.
//
// Expression: the argument as written with `&`, outer parentheses and whitespace removed:
// `&kvm->lock` -> `kvm->lock`.
// Class (the key lock-order graphs use): when the base variable's declared type is visible
// (`struct kvm *kvm` as parameter or local), the base is replaced by the struct name:
//   - struct name equals the variable name (the kernel's conventional naming): `kvm->lock`;
//   - otherwise `<struct name>::<field path>`: `struct kvm_vcpu *v; v->mutex` -> `kvm_vcpu::mutex`.
// Without a visible type the class is the normalised expression itself; a global's class is its
// name. lockClassMatches() lets rules written with conventional names (`vcpu->mutex`, `*->mmu_lock`)
// match any of these spellings.

export function normaliseExpr(text: string): string {
  let t = text.replace(/\s+/g, ' ').trim();
  for (;;) {
    const before = t;
    t = t.replace(/^&\s*/, '');
    if (t.startsWith('(') && t.endsWith(')') && balancedInner(t)) t = t.slice(1, -1).trim();
    // a cast in front: (spinlock_t *)x
    t = t.replace(/^\((?:const\s+)?(?:struct\s+)?\w+\s*\*+\s*\)\s*/, '');
    if (t === before) break;
  }
  return t.replace(/\s*(->|\.)\s*/g, '$1').replace(/\s*\[\s*/g, '[').replace(/\s*\]/g, ']');
}

function balancedInner(t: string): boolean {
  let d = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') d++;
    else if (t[i] === ')') {
      d--;
      if (d === 0 && i < t.length - 1) return false;
    }
  }
  return d === 0;
}

/** Struct name from a C type text: "struct kvm *" -> "kvm"; null when not a struct. */
export function structName(type: string | undefined): string | null {
  if (!type) return null;
  const m = /\bstruct\s+(\w+)/.exec(type);
  return m ? m[1]! : null;
}

export function lockClassOf(expr: string, typeOf: (name: string) => string | undefined): string {
  const m = /^([A-Za-z_]\w*)((?:->|\.).+)$/.exec(expr);
  if (!m) return expr;
  const base = m[1]!;
  const rest = m[2]!;
  const s = structName(typeOf(base));
  if (!s || s === base) return expr;
  return `${s}::${rest.replace(/^(->|\.)/, '')}`;
}

/** Whether a rule's lock pattern (`kvm->lock`, `vcpu->mutex`, `*->mmu_lock`, `kvm_vcpu::mutex`)
 *  names this lock: by class, by expression, or by the last `var->field` hop of the expression. */
export function lockClassMatches(pattern: string, lock: { expr: string; lockClass: string }): boolean {
  const p = pattern.replace(/\s+/g, '');
  const cands = [lock.lockClass, lock.expr, lastHop(lock.expr)];
  if (p.includes('*')) {
    const re = new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    return cands.some((c) => re.test(c));
  }
  if (cands.includes(p)) return true;
  // `kvm_vcpu::mutex` against `vcpu->mutex`: same field, struct name ends with the variable name.
  const pc = /^(\w+)(?:->|::)(.+)$/.exec(p);
  const lc = /^(\w+)::(.+)$/.exec(lock.lockClass);
  if (pc && lc && pc[2] === lc[2] && (lc[1] === pc[1] || lc[1]!.endsWith('_' + pc[1]))) return true;
  return false;
}

/** `vcpu->kvm->lock` -> `kvm->lock`. */
export function lastHop(expr: string): string {
  const m = /([A-Za-z_]\w*)(->|\.)([A-Za-z_]\w*)$/.exec(expr);
  return m ? `${m[1]}${m[2]}${m[3]}` : expr;
}
