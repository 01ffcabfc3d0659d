// The contract between the analysis engine and the checks (smatch's hooks + per-lock state +
// function summaries; ESLint's meta + create). The engine turns C into ordered, context-annotated
// events; a check is a pure consumer of events that reports through CheckContext.report().
// Kernel facts come from the knowledge base (rules/ data), never from names hard-coded in a check.

import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { CheckMeta, Reproduction, Severity, FindingClass } from '../model/index.js';

// ---------------------------------------------------------------------------------------------
// Knowledge base: one entry per kernel primitive, loaded from rules/*.yaml (schema-checked).

export type LockKind =
  | 'spinlock' // spinlock_t: atomic on !RT, sleeping rtmutex on PREEMPT_RT
  | 'raw_spinlock' // raw_spinlock_t: atomic everywhere
  | 'rwlock' // rwlock_t: like spinlock_t
  | 'mutex'
  | 'rwsem'
  | 'semaphore'
  | 'local_lock' // local_lock_t: preempt_disable on !RT, per-CPU spinlock on RT
  | 'bit_spinlock' // bit_spin_lock(): preempt_disable + spin on a bit
  | 'seqcount_write' // write side of a seqcount/seqlock
  | 'srcu' // srcu_read_lock() as a shared "lock" of the srcu_struct
  | 'rcu'
  | 'bitlock'; // hand-rolled lock word (test_and_set_bit ... clear_bit)

export type Ordering = 'full' | 'acquire' | 'release' | 'relaxed' | 'none';

/** What a primitive does, in operations the engine understands (linux-kernel.def's layer). */
export type PrimitiveOp =
  | 'lock' // acquires the lock in argument `lockArg`
  | 'trylock' // acquires when the return value is `trySuccess`
  | 'unlock'
  | 'rmw' // atomic read-modify-write (test_and_set_bit, cmpxchg, xchg, atomic_inc_return...)
  | 'load' // marked or plain read (READ_ONCE, test_bit, atomic_read, smp_load_acquire)
  | 'store' // marked store (WRITE_ONCE, atomic_set, clear_bit, set_bit, smp_store_release)
  | 'fence' // smp_mb, smp_rmb, smp_wmb, smp_mb__before_atomic ...
  | 'wait' // smp_cond_load_*, wait_on_bit, spin-wait helpers
  | 'sleep' // may sleep and has no other effect we model (msleep, kmalloc(GFP_KERNEL) ...)
  | 'context' // changes execution context only (preempt_disable, local_irq_save, rcu_read_lock)
  | 'seq-read-begin'
  | 'seq-read-retry'
  | 'seq-write-begin'
  | 'seq-write-end'
  | 'srcu-read-lock'
  | 'srcu-read-unlock'
  | 'srcu-sync' // synchronize_srcu*(S): waits for all readers of S
  | 'srcu-barrier'
  | 'srcu-call' // call_srcu
  | 'srcu-cleanup'
  | 'srcu-deref'
  /** lockdep_assert_held*() and friends: the caller holds the lock in `lockArg` (engine extension). */
  | 'assert-held';

export interface ContextEffect {
  preempt?: 1 | -1; // preempt_disable / preempt_enable (and get_cpu/put_cpu)
  irq?: 'off' | 'on' | 'restore';
  bh?: 'off' | 'on';
  rcu?: 1 | -1;
}

export interface Primitive {
  name: string; // the C function or macro name
  family: string; // e.g. "spinlock", "bitops", "atomic", "seqcount", "srcu", "sleep"
  op: PrimitiveOp;
  ordering: Ordering;
  kind?: LockKind; // for lock/trylock/unlock/seq*/srcu* ops
  lockArg?: number; // 0-based argument that names the lock / word / srcu_struct / seqcount
  bitArg?: number; // for bitops: the bit-number argument
  mode?: 'exclusive' | 'shared'; // read_lock vs write_lock, down_read vs down_write
  trySuccess?: 'nonzero' | 'zero'; // which return value means "acquired" for trylock/test_and_set
  context?: ContextEffect; // e.g. spin_lock_irqsave => { irq: 'off' }
  sleeps?: boolean; // may sleep on every config
  sleepsOnRT?: boolean; // sleeps only on PREEMPT_RT (spinlock_t, rwlock_t, local_lock_t)
  /** Sleeping depends on a gfp argument: sleeps unless it is an atomic gfp (GFP_ATOMIC, GFP_NOWAIT). */
  gfpArg?: number;
  /** The lock / srcu_struct the primitive really acts on, as a template over its arguments when it
   *  is not argument `lockArg` itself: kvm_vcpu_srcu_read_lock(vcpu) => "{0}->kvm->srcu",
   *  kvm_write_guest(kvm, ...) => "{0}->srcu". Absent: the lock is argument `lockArg`. */
  lockExpr?: string;
  /** Free text: what the primitive is, for messages and help. */
  doc?: string;
  /** Engine extension, for fences that order one kind of access only: smp_rmb orders 'loads'
   *  against later loads, smp_wmb 'stores' against later stores (memory-barriers.txt). */
  orders?: 'loads' | 'stores';
  /** For smp_mb__after_atomic() ('preceding') and smp_mb__before_atomic() ('following'): a full
   *  barrier only together with an atomic read-modify-write on that side of it (atomic_t.txt: the
   *  barrier orders the RMW op and the accesses beyond it; accesses between the barrier and the RMW
   *  stay unordered). Next to a plain store, WRITE_ONCE(), atomic_set(), atomic_read() or
   *  smp_store_release() it orders nothing (x86 defines it as barrier()). */
  pairedRmw?: 'preceding' | 'following';
}

/** A documented lock order, e.g. Documentation/virt/kvm/locking.rst. `before` is taken first. */
export interface LockOrderFact {
  before: string; // lock class, e.g. "kvm->lock"
  after: string; // e.g. "kvm->srcu" (srcu as a lock) or "kvm->slots_lock"
  source: string; // Documentation reference
  note?: string;
}

/** Known types of well-known struct fields / globals, so `kvm->srcu` is known to be an srcu_struct. */
export interface FieldTypeFact {
  pattern: string; // lock class pattern, e.g. "kvm->srcu", "*->mmu_lock", "vcpu->mutex"
  type: string; // C type: "struct srcu_struct", "struct mutex", "seqcount_spinlock_t", ...
  /** For seqcount_LOCKNAME_t: the associated lock expression relative to the struct, if known. */
  associatedLock?: string;
}

export interface KnowledgeBase {
  primitive(name: string): Primitive | undefined;
  primitives(): Iterable<Primitive>;
  lockOrders(): readonly LockOrderFact[];
  fieldType(lockClass: string): FieldTypeFact | undefined;
  /** Wrapper functions that behave as a primitive (e.g. dm_get_live_table = srcu-read-lock). */
  wrappers(): ReadonlyMap<string, Primitive>;
}

// ---------------------------------------------------------------------------------------------
// Execution context at a program point.

export interface HeldLock {
  /** Expression as written, normalised: "&kvm->lock" -> "kvm->lock", whitespace folded. */
  expr: string;
  /** Class: field path with the base variable replaced by its struct type where known
   *  ("kvm->lock" for `struct kvm *kvm`), or the global's name. Used for lock-order graphs. */
  lockClass: string;
  kind: LockKind;
  mode: 'exclusive' | 'shared';
  line: number; // post-image line of the acquisition
  via: string; // the call that took it: "spin_lock_irqsave"
  /** True when the acquisition also disabled IRQs / BH (spin_lock_irqsave, spin_lock_bh). */
  irqOff: boolean;
  bhOff: boolean;
}

export interface SrcuSection {
  ssp: string; // normalised srcu_struct expression: "kvm->srcu"
  idxVar: string | null; // variable holding srcu_read_lock()'s return value
  line: number;
  via: string;
}

/** Why a program point is atomic. `onRT` says whether it is still atomic on PREEMPT_RT. */
export interface AtomicReason {
  kind:
    | 'spinlock'
    | 'rwlock'
    | 'raw_spinlock'
    | 'bit_spinlock'
    | 'local_lock'
    | 'rcu'
    | 'preempt'
    | 'irq'
    | 'bh'
    | 'role'; // hard-IRQ handler, timer callback, irq_chip callback, NMI, non-blockable notifier
  line: number | null; // where the context became atomic; null for a role
  text: string; // "spin_lock(&port->lock)" or "irq_chip .irq_set_type callback"
  onRT: boolean;
}

/** Execution contexts the checks name in code (seqcount's IRQ roles, the MMU-notifier exception). */
export type ContextRole =
  | 'hardirq' // request_irq / devm_request_irq handler
  | 'threaded-irq' // thread_fn of request_threaded_irq (may sleep)
  | 'softirq' // tasklet, NAPI poll, ndo_start_xmit
  | 'timer'
  | 'irq-chip' // irq_chip callbacks (under raw desc->lock)
  | 'nmi'
  | 'mmu-notifier-nonblock'
  | 'rcu-callback';

/** An ops-struct callback the core always calls in one context, named `<struct>.<field>`
 *  ("net_device_ops.ndo_set_rx_mode", "uart_ops.start_tx"): defined by rules/roles.yaml alone. */
export type CallbackRole = `${string}.${string}`;

/** The role a function plays, learnt from its registration or signature (src/engine/roles.ts).
 *  Whether it is atomic, on PREEMPT_RT too, and the finding's wording are rules/roles.yaml
 *  `contexts` (roleContext in roles.ts). */
export type FunctionRole = ContextRole | CallbackRole;

export interface Context {
  locks: readonly HeldLock[];
  rcuDepth: number;
  srcu: readonly SrcuSection[];
  preemptDepth: number; // preempt_disable/get_cpu nesting (bit_spin_lock counts here too)
  irqsOff: boolean;
  bhOff: boolean;
  roles: readonly FunctionRole[];
  /** All reasons the point is atomic, innermost last. Empty: may sleep. */
  atomic: readonly AtomicReason[];
}

// ---------------------------------------------------------------------------------------------
// What one analysed piece of source looks like.

/** A C text the engine parses, with the map back to post-image lines. */
export interface AnalysisUnit {
  file: string; // post-image path
  patch: number | null; // patch index (null in scan mode)
  mode: 'hunk' | 'tree' | 'scan';
  text: string;
  /** lineMap[i] = post-image line of unit line i+1 (0 for synthetic lines the engine added). */
  lineMap: number[];
  /** Post-image lines this patch added or changed. In scan mode every line counts as changed. */
  changed: ReadonlySet<number>;
}

export interface LoopInfo {
  kind: 'while' | 'for' | 'do' | 'iterator'; // iterator = list_for_each_entry & co
  line: number;
  condition: string; // condition text ('' for for(;;)); for iterators, the macro call text
  node: SyntaxNode;
}

interface EventBase {
  line: number; // post-image line
  changed: boolean; // the line was added/changed by the patch under review
  ctx: Context; // context *before* the event takes effect
  loops: readonly LoopInfo[]; // enclosing loops, outermost first
  node: SyntaxNode;
}

export interface CallEvent extends EventBase {
  kind: 'call';
  callee: string; // identifier, or the text of the function expression for indirect calls
  args: string[]; // argument texts, normalised whitespace
  primitive: Primitive | undefined;
  /** Where the result goes: `x = f()` -> "x"; `if (!f())` -> "!cond"; `if (f())` -> "cond". */
  resultUse: { kind: 'assign' | 'cond' | 'notcond' | 'return' | 'discard' | 'arg'; target?: string };
}

export interface StoreEvent extends EventBase {
  kind: 'store';
  target: string; // lhs text, normalised: "rmap_head->val", "*p", "x"
  value: string; // rhs text
  operator: string; // "=", "|=", "&=", "+=", ...
  /** True for plain C stores to memory other than a local variable. */
  shared: boolean;
}

export interface ReturnEvent extends EventBase {
  kind: 'return';
  value: string | null;
}

export type AnalysisEvent = CallEvent | StoreEvent | ReturnEvent;

export interface FunctionModel {
  name: string;
  unit: AnalysisUnit;
  node: SyntaxNode; // the function_definition (or the synthetic wrapper in hunk mode)
  startLine: number; // post-image
  endLine: number;
  /** Parameter name -> C type text ("struct kvm *"). */
  params: ReadonlyMap<string, string>;
  /** Local variable name -> C type text. */
  locals: ReadonlyMap<string, string>;
  roles: readonly FunctionRole[];
  /** Locks the function's callers hold on entry (lockdep_assert_held, __must_hold, call sites). */
  callersHold: readonly HeldLock[];
  /** In hunk mode the function may be seen only in part: its start, its end, or both missing. */
  partial: boolean;
  /** Events in a program order; branches are walked in order with state merged at joins. */
  events: readonly AnalysisEvent[];
  /** Context at each return / end of function (for unbalanced lock/srcu detection). */
  exits: ReadonlyArray<{ line: number; ctx: Context; kind: 'return' | 'end' | 'goto-out' }>;
}

/** Interprocedural summary of a function visible in the series or its files. */
export interface FunctionSummary {
  name: string;
  file: string;
  /** First sleeping call reachable from the function, with the chain of calls to it. */
  maySleep: { chain: string[]; line: number } | null;
  /** First call that sleeps only on PREEMPT_RT (spin_lock on spinlock_t ...), with chain. */
  maySleepOnRT: { chain: string[]; line: number } | null;
  /** afterDropping: classes of the caller's locks the function released (without taking them)
   *  before this acquisition; at a call site the acquisition orders after none of them. */
  acquires: ReadonlyArray<{ lockClass: string; kind: LockKind; mode: 'exclusive' | 'shared'; chain: string[]; line: number; afterDropping?: string[] }>;
  srcuReadSides: ReadonlyArray<{ ssp: string; chain: string[]; line: number }>;
  srcuSyncs: ReadonlyArray<{ ssp: string; chain: string[]; line: number }>;
}

// ---------------------------------------------------------------------------------------------
// Checks.

export interface ReportInput {
  unit: AnalysisUnit;
  fn: FunctionModel | null;
  line: number; // post-image line of the finding
  endLine?: number;
  message: string;
  severity?: Severity; // defaults to meta.severity
  /** Stable discriminator for the fingerprint: the lock class, the callee, the srcu_struct ...
   *  never a line number (ids must survive line shifts). */
  key: string;
  reproduction: Partial<Reproduction>;
  /** Engine extension: the lines whose change makes the finding "introduced" (default: `line`). */
  introducedLines?: number[];
}

export interface CheckContext {
  readonly kb: KnowledgeBase;
  summary(name: string): FunctionSummary | undefined;
  /** All function models of the series/files (for cross-function facts: who uses call_srcu(S)). */
  functions(): readonly FunctionModel[];
  report(r: ReportInput): void;
}

export interface CheckHooks {
  onFunction?(fn: FunctionModel): void;
  onEvent?(ev: AnalysisEvent, fn: FunctionModel): void;
  /** After every function of every unit was seen: for cross-function / series-wide checks. */
  onEnd?(): void;
}

export interface Check {
  meta: CheckMeta;
  create(ctx: CheckContext): CheckHooks;
}

export type { FindingClass };
