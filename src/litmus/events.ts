// The events of one thread's path through its code, in herd7's representation of the Linux-kernel
// primitives (tools/memory-model/Documentation/herd-representation.txt): reads, writes and fences
// with their annotations, the R*/W* halves of atomic RMWs, and lock.cat's lock events.
import type { Value } from './ast.js';

/** Annotation of a memory access (linux-kernel.bell's Accesses; 'plain' is an unmarked access). */
export type AccessTag = 'once' | 'acquire' | 'release' | 'noreturn' | 'plain';

/** Fence kinds (linux-kernel.bell's Barriers). */
export type FenceTag =
  | 'mb'
  | 'rmb'
  | 'wmb'
  | 'barrier'
  | 'rcu-lock'
  | 'rcu-unlock'
  | 'sync-rcu'
  | 'before-atomic'
  | 'after-atomic'
  | 'after-spinlock'
  | 'after-unlock-lock';

/** lock.cat's lock events: lock read/write, unlock, failed trylock, spin_is_locked true/false. */
export type LockKind = 'LKR' | 'LKW' | 'UL' | 'LF' | 'RL' | 'RU';

export interface PathEvent {
  kind: 'R' | 'W' | 'F';
  loc: string | null;
  /** Value read or written (reads of lock events carry a nominal value). */
  value: Value | null;
  tag: AccessTag | null; // for R and W
  fence: FenceTag | null; // for F
  lock: LockKind | null;
  /** Part of an atomic read-modify-write instruction (herd7's R* / W*), failed cmpxchg included. */
  atomic: boolean;
  /** For the write half of a successful RMW (or LKW): index of its read half in the same path. */
  rmwFrom: number | null;
  /** Indices (in the same path) of reads this event depends on. */
  addr: number[];
  data: number[];
  ctrl: number[];
  line: number;
}

export interface ThreadPath {
  thread: number;
  events: PathEvent[];
  /** Final values of the thread's registers. */
  regs: Map<string, Value>;
}
