// Reads in-code suppressions: a C comment (// or /* */) containing
//     lockreview: ignore <rule>[, <rule>...] -- <reason>
// where <rule> is a check id or a finding class. The comment covers the lines it spans and the
// line after it, i.e. "on the flagged line or the line above" (a multi-line /* */ block whose last
// line is just above the flagged line counts as above).
//
// Approach: a small C lexer (code, "string", 'char', // comment, /* comment */) over the lines we
// have, so a marker inside a string literal is not a suppression. Blind spots: the text may be
// sparse (hunk-only mode gives only the hunks' lines): the lexer restarts at every gap, so a block
// comment that opens outside a hunk is not seen; preprocessor tricks (a comment built by a macro)
// are not seen either.

/** Line number -> text (1-based post-image lines). Sparse in hunk-only mode. */
export type LineText = ReadonlyMap<number, string>;

export interface SuppressionComment {
  /** Rule ids or classes named, lower case, in order. */
  rules: string[];
  /** Text after `--`, whitespace folded; null when absent or empty. */
  reason: string | null;
  /** First and last line of the comment holding the marker. */
  line: number;
  endLine: number;
  /** The marker as written (whitespace folded), used to recognise the same comment after line shifts. */
  marker: string;
}

const MARKER = /lockreview:\s*ignore\b/g;
const RULE = /^[a-z0-9][a-z0-9-]*/i;

/** Splits a whole file into the LineText shape. */
export function linesOf(text: string): LineText {
  const map = new Map<number, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) map.set(i + 1, lines[i]!.replace(/\r$/, ''));
  return map;
}

/** Every suppression comment in the text, in line order. */
export function findSuppressions(text: LineText): SuppressionComment[] {
  const out: SuppressionComment[] = [];
  for (const c of comments(text)) {
    if (!c.body.includes('lockreview:')) continue;
    for (const m of c.body.matchAll(MARKER)) {
      const parsed = parseMarker(c.body.slice(m.index + m[0].length));
      if (!parsed) continue;
      out.push({ ...parsed, line: c.line, endLine: c.endLine, marker: fold(c.body.slice(m.index)) });
    }
  }
  return out;
}

/** True when the suppression covers `line` (the comment is on it or ends just above it). */
export function covers(s: SuppressionComment, line: number): boolean {
  return line >= s.line && line <= s.endLine + 1;
}

function parseMarker(rest: string): { rules: string[]; reason: string | null } | null {
  let s = rest.replace(/^\s+/, '');
  const rules: string[] = [];
  for (;;) {
    const m = RULE.exec(s);
    if (!m) break;
    rules.push(m[0].toLowerCase());
    s = s.slice(m[0].length);
    const comma = /^\s*,\s*/.exec(s);
    if (!comma) break;
    s = s.slice(comma[0].length);
  }
  if (!rules.length) return null; // "lockreview: ignore" naming nothing is prose, not a marker
  const dash = /^\s*--/.exec(s);
  if (!dash) return { rules, reason: null };
  // The reason runs to the end of the comment, or to a following marker.
  const reason = fold(s.slice(dash[0].length).split(/lockreview:\s*ignore\b/)[0]!);
  return { rules, reason: reason || null };
}

function fold(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

interface Comment {
  line: number;
  endLine: number;
  /** The comment text without the delimiters; continuation lines lose a leading '*'. */
  body: string;
}

/** Lexes comments out of the text; each run of consecutive lines is lexed on its own. */
function comments(text: LineText): Comment[] {
  const out: Comment[] = [];
  const numbers = [...text.keys()].sort((a, b) => a - b);
  let prev = -1;
  let block: Comment | null = null;
  for (const n of numbers) {
    if (n !== prev + 1) block = null; // a gap: whatever was open is unknown
    prev = n;
    const line = text.get(n)!;
    let i = 0;
    if (block) {
      const end = line.indexOf('*/');
      const part = end < 0 ? line : line.slice(0, end);
      block.body += '\n' + part.replace(/^\s*\*(?!\/)/, '');
      block.endLine = n;
      if (end < 0) continue;
      out.push(block);
      block = null;
      i = end + 2;
    }
    let quote: string | null = null;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '/' && line[i + 1] === '/') {
        out.push({ line: n, endLine: n, body: line.slice(i + 2) });
        break;
      } else if (c === '/' && line[i + 1] === '*') {
        const end = line.indexOf('*/', i + 2);
        if (end < 0) {
          block = { line: n, endLine: n, body: line.slice(i + 2) };
          break;
        }
        out.push({ line: n, endLine: n, body: line.slice(i + 2, end) });
        i = end + 1;
      }
    }
  }
  return out;
}
