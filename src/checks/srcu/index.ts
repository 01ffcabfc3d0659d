// Checks of the srcu family: grace-period waits that deadlock, block atomic context or cost one
// grace period per item; unbalanced or mismatched read sides; teardown without srcu_barrier(); and
// SRCU-protected accesses outside a read side; SRCU-protected objects freed without a grace period. Facts: rules/primitives/srcu.yaml,
// rules/lock-orders.yaml, rules/field-types.yaml.
import type { Check } from '../../engine/types.js';
import { syncInReadSide } from './sync-in-read-side.js';
import { syncLockInversion } from './sync-lock-inversion.js';
import { syncAtomic } from './sync-atomic.js';
import { syncHotPath } from './sync-hot-path.js';
import { syncBeforeFree } from './sync-before-free.js';
import { readLockUnbalanced } from './read-lock-unbalanced.js';
import { readUnlockMismatch } from './read-unlock-mismatch.js';
import { cleanupWithoutBarrier } from './cleanup-without-barrier.js';
import { derefOutsideReadSide } from './deref-outside-read-side.js';
import { freeWithoutGracePeriod } from './free-without-grace-period.js';

export const checks: Check[] = [
  syncInReadSide,
  syncLockInversion,
  syncAtomic,
  syncHotPath,
  syncBeforeFree,
  readLockUnbalanced,
  readUnlockMismatch,
  cleanupWithoutBarrier,
  derefOutsideReadSide,
  freeWithoutGracePeriod,
];
