// Checks of the lock-order family: lock-order cycles across the series, its files and the
// documented orders of rules/lock-orders.yaml.
import type { Check } from '../../engine/types.js';
import { abba } from './abba.js';

export const checks: Check[] = [abba];
