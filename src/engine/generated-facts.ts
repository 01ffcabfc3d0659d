// The generated sleep table (rules/primitives/sleep-6.12-generated.yaml, family `sleep-db`) says
// what a function did in Linux 6.12. When the analysis holds that function's whole definition (a
// scanned file, or a file of a --tree session), the definition is the better witness: it is the
// code under review (a patch may have changed it), and only it carries the function's lock and
// SRCU facts into the summaries. So for those names the table is set aside: call events lose the
// table primitive the walker gave them, and the summaries and checks get a knowledge base that does
// not answer with it. A hunk fragment (FunctionModel.partial) is not a whole witness: the table
// stays for it.
import type { AnalysisEvent, CallEvent, FunctionModel, KnowledgeBase, Primitive } from './types.js';

export const GENERATED_SLEEP_FAMILY = 'sleep-db';

const isGenerated = (p: Primitive | undefined): boolean => p?.family === GENERATED_SLEEP_FAMILY;

export function preferDefinitionsOverGenerated(functions: readonly FunctionModel[], kb: KnowledgeBase): KnowledgeBase {
  const whole = new Set<string>();
  for (const fn of functions) if (!fn.partial && isGenerated(kb.primitive(fn.name))) whole.add(fn.name);
  if (!whole.size) return kb;
  for (const fn of functions) {
    for (const ev of fn.events as AnalysisEvent[]) {
      if (ev.kind === 'call' && whole.has(ev.callee) && isGenerated(ev.primitive)) (ev as CallEvent).primitive = undefined;
    }
  }
  return {
    ...kb,
    primitive: (name) => {
      const p = kb.primitive(name);
      return p && whole.has(name) && isGenerated(p) ? undefined : p;
    },
  };
}
