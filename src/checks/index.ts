// The check registry: every check of every family, sorted by id. A family folder exports its
// checks as `checks`; adding a check is one line in that folder's index.ts.

import type { Check } from '../engine/types.js';
import { checks as bitlock } from './bitlock/index.js';
import { checks as seqcount } from './seqcount/index.js';
import { checks as srcu } from './srcu/index.js';
import { checks as atomicSleep } from './atomic-sleep/index.js';
import { checks as lockOrder } from './lock-order/index.js';
import { byCodeUnit } from '../model/index.js';

export function allChecks(): Check[] {
  return [...bitlock, ...seqcount, ...srcu, ...atomicSleep, ...lockOrder].sort((a, b) => byCodeUnit(a.meta.id, b.meta.id));
}
