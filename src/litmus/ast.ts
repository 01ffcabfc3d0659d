// The syntax tree of a herd7 C-dialect litmus test, as the parser builds it and the thread
// interpreter walks it. Every node keeps its source line so that errors can name file:line.

export type Expr =
  | { kind: 'num'; value: number; line: number }
  | { kind: 'name'; name: string; line: number } // register, parameter (a pointer) or location
  | { kind: 'deref'; target: Expr; line: number } // *e
  | { kind: 'addr'; name: string; line: number } // &x
  | { kind: 'unary'; op: '!' | '-' | '~'; arg: Expr; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'call'; fn: string; args: Expr[]; line: number }
  | { kind: 'void'; arg: Expr; line: number }; // (void)e

export type Stmt =
  | { kind: 'decl'; name: string; init: Expr | null; line: number }
  | { kind: 'assign'; target: Expr; value: Expr; line: number } // target: name or deref
  | { kind: 'expr'; expr: Expr; line: number }
  | { kind: 'if'; cond: Expr; then: Stmt; else: Stmt | null; line: number }
  | { kind: 'block'; body: Stmt[]; line: number };

export interface ThreadParam {
  name: string;
  type: string; // 'int', 'atomic_t', 'spinlock_t', ... (pointer levels dropped)
  pointerDepth: number;
}

export interface ThreadDef {
  index: number;
  params: ThreadParam[];
  body: Stmt[];
  line: number;
}

/** A value in a litmus test: an integer or the address of a shared location. */
export type Value = number | { addr: string };

export interface InitEntry {
  /** `x` for a shared location, `1:r0` for a register. */
  target: { loc: string } | { thread: number; reg: string };
  value: Value;
  type: string | null;
  line: number;
}

/** Where a final-state atom looks: a shared location's final value or a register. */
export type StateRef = { loc: string } | { thread: number; reg: string };

export type Prop =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'eq'; ref: StateRef; value: Value; negated: boolean }
  | { kind: 'not'; arg: Prop }
  | { kind: 'and'; left: Prop; right: Prop }
  | { kind: 'or'; left: Prop; right: Prop }
  | { kind: 'implies'; left: Prop; right: Prop };

export type Quantifier = 'exists' | 'not-exists' | 'forall';

export interface LitmusTest {
  file: string;
  name: string;
  doc: string | null;
  init: InitEntry[];
  threads: ThreadDef[];
  locations: StateRef[];
  filter: Prop | null;
  quantifier: Quantifier;
  condition: Prop;
}

export function refKey(ref: StateRef): string {
  return 'loc' in ref ? ref.loc : `${ref.thread}:${ref.reg}`;
}

export function valueText(v: Value): string {
  return typeof v === 'number' ? String(v) : v.addr;
}

export function sameValue(a: Value, b: Value): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.addr === b.addr;
}
