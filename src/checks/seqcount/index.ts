// Checks of the seqcount family: writers that can be preempted or interrupted, plain seqcount_t
// that should carry its lock, seqcount_LOCKNAME_t / seqlock_t readers in RT-atomic context, and
// broken read loops. Facts: rules/primitives/seqcount.yaml, rules/field-types.yaml.
import type { Check } from '../../engine/types.js';
import { writerPreemptible } from './writer-preemptible.js';
import { plainUnderSpinlock } from './plain-under-spinlock.js';
import { readerAtomicRT } from './reader-atomic-rt.js';
import { writerIrqUnsafe } from './writer-irq-unsafe.js';
import { seqbeginOrLockNeverOdd } from './seqbegin-or-lock-never-odd.js';
import { readWithoutRetry } from './read-without-retry.js';

export const checks: Check[] = [writerPreemptible, plainUnderSpinlock, readerAtomicRT, writerIrqUnsafe, seqbeginOrLockNeverOdd, readWithoutRetry];
