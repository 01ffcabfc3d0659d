// Interprocedural summaries: may sleep, acquires L, enters/synchronizes SRCU S, one or two call
// levels deep. (Being built: see issue 8.)
import type { FunctionModel, FunctionSummary, KnowledgeBase } from './types.js';

export function computeSummaries(_fns: readonly FunctionModel[], _kb: KnowledgeBase): Map<string, FunctionSummary> {
  return new Map();
}
