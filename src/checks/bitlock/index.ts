// Checks of the bitlock family: words used as hand-rolled locks (test_and_set_bit / cmpxchg / xchg
// of a LOCKED-style value, *_lock/*_unlock and claim/release pairs) whose acquire or release lacks
// the ordering a lock needs, and bits whose waiters are woken without the barrier a wake-up needs. Shared model: lock-word.ts; reproductions: litmus.ts.
import type { Check } from '../../engine/types.js';
import { unlockWithoutRelease } from './unlock-without-release.js';
import { relaxedAcquire } from './relaxed-acquire.js';
import { waitWithoutAcquire } from './wait-without-acquire.js';
import { failedCmpxchgOrdering } from './failed-cmpxchg-ordering.js';
import { wakeWithoutBarrier } from './wake-without-barrier.js';

export const checks: Check[] = [unlockWithoutRelease, relaxedAcquire, waitWithoutAcquire, failedCmpxchgOrdering, wakeWithoutBarrier];
