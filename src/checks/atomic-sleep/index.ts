// Checks of the atomic-sleep family: sleeping in atomic context, and PREEMPT_RT-only sleeping locks
// in contexts that stay atomic on RT.
import type { Check } from '../../engine/types.js';
import { sleepInAtomic } from './sleep-in-atomic.js';
import { rtOnly } from './rt-only.js';

export const checks: Check[] = [sleepInAtomic, rtOnly];
