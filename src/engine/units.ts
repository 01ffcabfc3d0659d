// Analysis units: the C texts the engine parses, each with its map back to post-image lines.
//  - hunk mode (no SourceProvider): one unit per hunk, built from the hunk's post-image (context +
//    added lines). A hunk usually starts inside a function: the fragment up to the function's
//    closing `}` is wrapped in a synthetic function named after git's hunk header, with `{`/`}`
//    padding so the braces balance; what follows is parsed as top level (whole functions parse
//    normally; a function cut off at the end of the hunk gets closing braces and counts as partial).
//    A hunk that starts inside a file-scope initialiser (git's hunk header is its opening line,
//    `static const struct clk_ops foo_ops = {`) is wrapped with that line inside the synthetic
//    function, so that the ops table parses as one and registrations are read from it.
//  - tree mode: the whole post-image file after the patch; changed = lines the patch added.
//  - scan mode: a whole file; every line counts as changed.
import type { FileDiff, Hunk } from '../model/index.js';
import type { AnalysisUnit } from './types.js';

export const SYNTHETIC_PREFIX = '__lockreview_hunk_';

export function isCFile(path: string | null): path is string {
  return !!path && /\.(c|h)$/.test(path);
}

/** Function name from git's hunk header ("static int foo(struct bar *b)" -> "foo"). */
export function headerFunction(header: string): string | null {
  const h = header.trim();
  if (!h || /^(#|\/\*|\*)/.test(h)) return null;
  if (/^(struct|union|enum)\s+\w+\s*\{?\s*$/.test(h)) return null;
  const m = /([A-Za-z_]\w*)\s*\(/.exec(h);
  if (!m) return null;
  if (/^(if|for|while|switch|return|sizeof|DEFINE_\w+|EXPORT_SYMBOL\w*|module_\w+)$/.test(m[1]!)) return null;
  return m[1]!;
}

/** The characters braceProfile() acts on outside comments; everything else is skipped natively. */
const BRACE_SPECIAL = /[{}"'/]/g;

/** Brace depth change per line, ignoring strings, chars and comments (state carried across lines).
 *  The scan jumps from one brace, quote or slash to the next (a regex search), not character by
 *  character: every line of every hunk of a series passes here, up to three times. */
function braceProfile(lines: string[]): { depths: number[]; min: number; final: number } {
  let depth = 0;
  let min = 0;
  let inComment = false;
  const depths: number[] = [];
  for (const line of lines) {
    let i = 0;
    for (;;) {
      if (inComment) {
        const end = line.indexOf('*/', i);
        if (end < 0) break;
        inComment = false;
        i = end + 2;
      }
      BRACE_SPECIAL.lastIndex = i;
      const m = BRACE_SPECIAL.exec(line);
      if (!m) break;
      i = m.index;
      const c = line[i];
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth < min) min = depth;
      } else if (c === '/') {
        const next = line[i + 1];
        if (next === '*') {
          inComment = true;
          i += 2;
          continue;
        }
        if (next === '/') break;
      } else {
        // A string or char literal: skip to its closing quote (escapes included).
        for (i++; i < line.length && line[i] !== c; i++) if (line[i] === '\\') i++;
      }
      i++;
    }
    depths.push(depth);
  }
  return { depths, min, final: depth };
}

/** Post-image lines of a hunk: [text, post-image line, added?]. */
function postImage(h: Hunk): Array<{ text: string; line: number; added: boolean }> {
  const out: Array<{ text: string; line: number; added: boolean }> = [];
  for (const l of h.lines) if (l.kind !== 'del' && l.newLine != null) out.push({ text: l.text, line: l.newLine, added: l.kind === 'add' });
  return out;
}

/** The parameter list of git's hunk header when it is complete ("foo(struct kvm *kvm)"), so
 *  that a fragment knows its parameters' types; "void" when cut off or absent. */
function headerParams(header: string, name: string | null): string {
  if (!name) return 'void';
  const m = new RegExp(`\\b${name}\\s*\\(([^()]*)\\)`).exec(header);
  const list = m?.[1]?.trim();
  return list && /^[\w\s*,\[\]]+$/.test(list) ? list : 'void';
}

/** The opening line of a file-scope initialiser when git's hunk header is one
 *  (`static const struct clk_ops foo_ops = {`, `static struct foo foos[] = {`), without a
 *  trailing comment; null otherwise. */
function initialiserHeader(header: string): string | null {
  const h = header.trim();
  return /^[A-Za-z_][^();{}]*=\s*\{$/.test(h) ? h : null;
}

/** Post-image lines right after a run of deleted lines that no added line replaces. */
function deletionSpots(h: Hunk): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < h.lines.length; i++) {
    if (h.lines[i]!.kind !== 'del') continue;
    let j = i;
    while (j < h.lines.length && h.lines[j]!.kind === 'del') j++;
    const next = h.lines[j];
    if (next && next.kind === 'ctx' && next.newLine != null) out.add(next.newLine);
    i = j - 1;
  }
  return out;
}

/** Builds the hunk-mode unit of one hunk. */
export function hunkUnit(file: string, patch: number | null, hunk: Hunk): AnalysisUnit | null {
  const post = postImage(hunk);
  // A hunk that only deletes lines still changes behaviour (a removed unlock, srcu_read_lock or
  // seq++ is the bug of many reverted fixes): keep it, and count the post-image line that follows
  // each deletion run as changed, since that is where the code now differs.
  const afterDeletion = deletionSpots(hunk);
  if (!post.length || (!post.some((l) => l.added) && !afterDeletion.size)) return null;
  const texts = post.map((l) => l.text);
  // A fragment that starts inside a block comment: blank the comment's tail.
  if (texts.length && /^\s*\*(?!\/)/.test(texts[0]!)) {
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i]!;
      const end = t.indexOf('*/');
      if (end >= 0) {
        texts[i] = ' '.repeat(end + 2) + t.slice(end + 2);
        break;
      }
      texts[i] = '';
    }
  }
  const changed = new Set([...post.filter((l) => l.added).map((l) => l.line), ...afterDeletion]);
  const name = headerFunction(hunk.header);
  const prof = braceProfile(texts);
  // Inside a function unless the fragment opens a function body (`{` at column 0) before it ever
  // closes a brace it did not open.
  const firstOpen = texts.findIndex((t) => /^\{/.test(t));
  const firstClose = texts.findIndex((t) => /^\}/.test(t));
  // A `{` at column 0 with no signature line before it in the fragment opens the header's function.
  const signatureBefore = firstOpen > 0 && texts.slice(0, firstOpen).some((t) => /^[A-Za-z_]/.test(t));
  const opensOwn = prof.min >= 0 && firstOpen >= 0 && signatureBefore && (firstClose < 0 || firstOpen < firstClose);
  // A hunk inside a file-scope initialiser (an ops table: git's hunk header is then its opening
  // line, `static const struct clk_ops foo_ops = {`): the fragment is wrapped with that line in
  // front, so that its designated initialisers parse as one and say which struct they fill.
  const init = initialiserHeader(hunk.header);
  const firstCode = texts.find((t) => t.trim() && !/^\s*#/.test(t));
  const inInitialiser = !!init && !opensOwn && (prof.min < 0 || (firstCode != null && /^[\s}]/.test(firstCode)));
  const insideFn = inInitialiser || (!opensOwn && (name != null || prof.min < 0));
  const outLines: string[] = [];
  const lineMap: number[] = [];
  let i = 0;
  if (insideFn) {
    // The enclosing function ends at the first `}` at column 0 (kernel style), else the first line
    // where the depth drops below the start.
    let endIdx = texts.findIndex((t) => /^\}/.test(t));
    // When the function does not end inside the hunk: one brace more than the deepest unmatched
    // close, so that `} else {` or an indented `}` does not end the wrapper (issue 8).
    // Kernel style closes a function at column 0; an indented `}` reaching below the start closes
    // an enclosing block (`} else {`, the end of an if) whose head is above the hunk.
    let goesOn = 0;
    if (endIdx < 0) {
      endIdx = texts.length - 1;
      goesOn = 1;
    }
    const part = texts.slice(0, endIdx + 1);
    const pp = braceProfile(part);
    const open = Math.max(1, goesOn - pp.min);
    // git's hunk header rides along as a comment before the body, so checks can read attributes
    // of the real signature (notrace, __must_hold(...)) that the fragment does not show.
    const headerNote = hunk.header.trim() ? ` /* ${hunk.header.trim().replace(/\*\//g, '* /')} */` : '';
    if (inInitialiser) {
      // The wrapper's body holds the initialiser as a declaration; its `{` is one of `open`.
      outLines.push(`void ${SYNTHETIC_PREFIX}fragment(void)${headerNote} { ${init}${'{'.repeat(open - 1)}`);
    } else {
      outLines.push(`void ${SYNTHETIC_PREFIX}${name ?? 'fragment'}(${headerParams(hunk.header, name)})${headerNote} ${'{'.repeat(open)}`);
    }
    lineMap.push(0);
    for (; i <= endIdx; i++) {
      outLines.push(texts[i]!);
      lineMap.push(post[i]!.line);
    }
    const close = open + pp.final;
    if (inInitialiser) {
      // Still open: the initialiser's braces (then its `;`) and the wrapper's own.
      outLines.push(close > 0 ? `${'}'.repeat(close)};}` : '}');
      lineMap.push(0);
    } else if (close > 0) {
      outLines.push('}'.repeat(close));
      lineMap.push(0);
    }
  }
  const rest = texts.slice(i);
  const rp = braceProfile(rest);
  for (let j = 0; j < rest.length; j++) {
    outLines.push(rest[j]!);
    lineMap.push(post[i + j]!.line);
  }
  if (rest.length && rp.final - rp.min > 0) {
    // A function cut off at the end of the hunk: `;` ends a possibly unfinished statement.
    outLines.push(';' + '}'.repeat(rp.final - rp.min));
    lineMap.push(0);
  }
  const unit: AnalysisUnit = { file, patch, mode: 'hunk', text: outLines.join('\n') + '\n', lineMap, changed };
  const deleted = hunk.lines.filter((l) => l.kind === 'del').map((l) => l.text);
  if (deleted.length) deletedOfUnit.set(unit, deleted);
  return unit;
}

// The pre-image side a hunk unit's text lacks: what its deleted lines said. Kept beside the unit
// (not in it: nothing else reads it) for checks that ask whether a changed line only restates
// what it replaced (a registration rewritten, an ops-table line moved).
const deletedOfUnit = new WeakMap<AnalysisUnit, string[]>();

/** The lines a hunk unit's hunk deleted, in order ([] for other units). */
export function deletedLines(unit: AnalysisUnit): readonly string[] {
  return deletedOfUnit.get(unit) ?? [];
}

export function hunkUnits(f: FileDiff, patch: number): AnalysisUnit[] {
  if (!isCFile(f.newPath) || f.note) return [];
  const out: AnalysisUnit[] = [];
  for (const h of f.hunks) {
    const u = hunkUnit(f.newPath, patch, h);
    if (u) out.push(u);
  }
  return out;
}

/** Added lines of a file diff (post-image numbers). */
export function addedLines(f: FileDiff): Set<number> {
  const s = new Set<number>();
  for (const h of f.hunks) for (const l of h.lines) if (l.kind === 'add' && l.newLine != null) s.add(l.newLine);
  return s;
}

export function wholeFileUnit(file: string, patch: number | null, text: string, changed: ReadonlySet<number> | 'all'): AnalysisUnit {
  const n = text.split('\n').length;
  const lineMap = Array.from({ length: n }, (_, k) => k + 1);
  const all = changed === 'all';
  return { file, patch, mode: all ? 'scan' : 'tree', text, lineMap, changed: all ? new AllLines() : changed };
}

/** A set that contains every line: scan mode counts everything as introduced. */
class AllLines extends Set<number> {
  override has(_n: number): boolean {
    return true;
  }
}
