// Checks of the bitlock family. (Filled in by the family's own modules.)
import type { Check } from '../../engine/types.js';

export const checks: Check[] = [];
