// Mechanical checks on what a model wrote. The model may rephrase; it may not bring in anything
// a maintainer could mistake for a fact of the patch: an identifier, a number (line, config value),
// a CONFIG_ option or a file that its input did not contain. Plain English words are free.

/** Tokens that name code or facts: C identifiers with an underscore, digit or upper case after the
 *  first letter, calls `foo(`, member paths `a->b` / `a.b`, paths `x/y.c`, and numbers >= 2 digits. */
export function factTokens(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*(?:(?:->|\.)[A-Za-z_][A-Za-z0-9_]*)+/g)) {
    // member paths: every component counts on its own too
    for (const part of m[0].split(/->|\./)) if (looksLikeIdentifier(part)) out.add(part);
  }
  for (const m of text.matchAll(/\b[A-Za-z_][A-Za-z0-9_]*(?=\s*\()/g)) out.add(m[0]);
  for (const m of text.matchAll(/\b[A-Za-z_][A-Za-z0-9_]*\b/g)) if (looksLikeIdentifier(m[0])) out.add(m[0]);
  for (const m of text.matchAll(/\b[\w-]+(?:\/[\w.-]+)+\.[ch]\b/g)) out.add(m[0]);
  for (const m of text.matchAll(/\b\d{2,}\b/g)) out.add(m[0]);
  return out;
}

function looksLikeIdentifier(w: string): boolean {
  // All-caps words without '_' or digits (CPU, IRQ, NMI) are prose acronyms, not identifiers.
  return w.includes('_') || /\d/.test(w) || /^[a-z]+[A-Z]/.test(w);
}

/** Words a reviewer's prose may use freely even though they look like code. */
const FREE = new Set(['PREEMPT_RT', 'CPU0', 'CPU1', 'CPU2', 'IRQ', 'IRQs', 'SRCU', 'RCU', 'LKMM', 'RT']);

/** Returns the tokens of `output` that do not occur in `input`; empty means the rewrite is clean. */
export function inventedTokens(output: string, input: string): string[] {
  const have = factTokens(input);
  const haveText = input;
  const bad: string[] = [];
  for (const t of factTokens(output)) {
    if (FREE.has(t) || have.has(t) || haveText.includes(t)) continue;
    bad.push(t);
  }
  return bad.sort();
}
