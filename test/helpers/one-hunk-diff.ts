// Diffs for the fix-shape suites (test/checks/*/fix-shapes.ts): a fix written once, rendered as
// its buggy form (the fix reversed, what a check must flag) and as posted (what it must leave
// silent); and the post-image line numbers the suites anchor their expected findings on.

/** One-file, one-hunk diff. `body` lines are context unless marked '+' or '-'; counts are computed.
 *  The placeholder `@@BUG@@` is replaced by `bug` (buggy form) or `fix` (fixed form). */
export function oneHunkDiff(file: string, start: number, header: string, body: string[], bug: string[], fix: string[]): { buggy: string; fixed: string } {
  const make = (sub: string[]) => {
    const lines = body.flatMap((l) => (l === '@@BUG@@' ? sub : [/^[+-]/.test(l) ? l : ` ${l}`]));
    const oldCount = lines.filter((l) => !l.startsWith('+')).length;
    const newCount = lines.filter((l) => !l.startsWith('-')).length;
    return `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -${start},${oldCount} +${start},${newCount} @@ ${header}\n${lines.join('\n')}\n`;
  };
  return { buggy: make(bug), fixed: make(fix) };
}

/** The fix's line `fixed` replaced by `bug` in the buggy form; the fixed form keeps it (as the same
 *  line removed and added again, so both forms have the same hunk counts). */
export const swap = (fixed: string, bug: string) => ({ bug: [`-${fixed}`, `+${bug}`], fix: [`-${fixed}`, `+${fixed}`] });

/** The post-image lines of a diff with their line numbers: every context or added line after the
 *  first hunk header (`raw` keeps the leading ' ' or '+'). The suites find their anchors here. */
export function postImageLines(diff: string): Array<{ line: number; raw: string; added: boolean }> {
  const out: Array<{ line: number; raw: string; added: boolean }> = [];
  let n = 0;
  for (const l of diff.split('\n')) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      n = Number(h[1]);
      continue;
    }
    if (!n || l.startsWith('-') || l.startsWith('+++')) continue;
    out.push({ line: n++, raw: l, added: l.startsWith('+') });
  }
  return out;
}
