// Function roles: which functions run in hard-IRQ, softirq/timer, irq_chip, NMI or non-blockable
// notifier context, found from how the file registers them. (Being built: see issue 8.)
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { FunctionRole } from './types.js';

/** Roles of the functions of one parsed unit, by function name. */
export function detectRoles(_root: SyntaxNode): Map<string, FunctionRole[]> {
  return new Map();
}
