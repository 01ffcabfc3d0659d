// Unified diff text -> FileDiff[] with exact old/new line numbers.
//
// Approach: one pass over the lines with a small state machine (between files, in file headers,
// in a hunk). A hunk is read by its header counts, never by guessing where it ends, so post-image
// line numbers are exact; a hunk that runs out of lines, or is followed by more diff lines than
// its header announced, is an InputError. Handles git extended headers (rename/copy/new/deleted/
// mode), quoted paths, `Binary files ... differ` and `GIT binary patch` (skipped with a note),
// plain `diff -u` / quilt headers (`--- a\tdate`), empty context lines whose space a mailer ate,
// and the `-- ` signature that ends a format-patch mail.
// Blind spots: combined diffs (`diff --cc`) are skipped with a note; an `Index:`/`====` svn
// preamble is ignored rather than interpreted.
// parse-diff is not used: it keeps no line numbers for hunks whose counts lie, drops the git
// extended headers' meaning (copies, modes) and cannot tell a signature from a deleted line.

import type { DiffLine, FileDiff, FileStatus, Hunk } from '../model/index.js';
import { InputError } from '../errors.js';

export interface ParseDiffOptions {
  /** Input name for errors. */
  input: string;
  /** Line number (0-based) of the text's first line in the input, so errors point at real lines. */
  lineBase?: number;
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
/** `index <old>..<new>[ <mode>]`: the blob ids git abbreviated (or wrote in full, --full-index). */
const INDEX_RE = /^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)/;
const GIT_BINARY_LINE = /^(?:literal|delta) \d+$|^[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]*$/;

/** A blob id as written, lower-cased; null for git's all-zeros "no such side", and for fewer
 *  than the 4 hex digits git ever abbreviates to (hand-written diffs). */
function blobId(hex: string): string | null {
  return /^0+$/.test(hex) || hex.length < 4 ? null : hex.toLowerCase();
}

/** True when the text holds at least one file diff header pair or a git diff line. */
export function looksLikeDiff(text: string): boolean {
  return /^diff --git /m.test(text) || /^--- \S.*\r?\n\+\+\+ \S/m.test(text) || /^Binary files .* differ$/m.test(text);
}

/** Decode a git C-quoted path ("a/f\303\266o") or return the path as written. */
function unquotePath(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  const bytes: number[] = [];
  const body = raw.endsWith('"') ? raw.slice(1, -1) : raw.slice(1);
  const esc: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) {
      const n = body[i + 1]!;
      if (/[0-7]/.test(n)) {
        const oct = body.slice(i + 1, i + 4).match(/^[0-7]{1,3}/)![0];
        bytes.push(parseInt(oct, 8) & 0xff);
        i += oct.length;
      } else {
        bytes.push(esc[n] ?? n.charCodeAt(0));
        i++;
      }
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Path of a `---`/`+++` line: drop a trailing tab+timestamp, unquote, strip the a/ b/ prefix. */
function headerPath(rest: string, git: boolean): string | null {
  let p = rest;
  if (!p.startsWith('"')) {
    const tab = p.indexOf('\t');
    if (tab >= 0) p = p.slice(0, tab);
    p = p.replace(/\s+$/, '');
  }
  p = unquotePath(p);
  if (p === '/dev/null') return null;
  return stripPrefix(p, git);
}

function stripPrefix(p: string, git: boolean): string {
  if (git) return p.replace(/^[ab]\//, '');
  // diff -u / quilt: git apply's default -p1 removes the first component when there is one.
  const slash = p.indexOf('/');
  return slash > 0 ? p.slice(slash + 1) : p;
}

/** Paths from `diff --git a/X b/Y` when no ---/+++ or rename lines say them (binary, mode-only). */
function pathsFromGitLine(rest: string): [string, string] | null {
  if (rest.startsWith('"')) {
    const m = rest.match(/^("(?:[^"\\]|\\.)*")\s+(.*)$/);
    if (!m) return null;
    return [stripPrefix(unquotePath(m[1]!), true), stripPrefix(unquotePath(m[2]!), true)];
  }
  // Same path on both sides (the usual case): "a/P b/P" splits in the middle.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (a.replace(/^a\//, '') === b.replace(/^b\//, '')) return [stripPrefix(a, true), stripPrefix(b, true)];
  }
  const m = rest.match(/^(a\/.*?) (b\/.*)$/);
  if (m) return [stripPrefix(m[1]!, true), stripPrefix(m[2]!, true)];
  return null;
}

/** Lines that end a diff in mail: the signature (`-- `) and b4's `---` footer separator. */
function endsDiff(line: string): boolean {
  return line === '-- ' || line === '--' || /^---\s*$/.test(line);
}

interface FileBuilder {
  oldPath: string | null;
  newPath: string | null;
  status: FileStatus;
  hunks: Hunk[];
  note: string | null;
  oldBlob: string | null;
  newBlob: string | null;
  git: boolean;
  newFile: boolean;
  deletedFile: boolean;
  modeChange: boolean;
  sawHeaders: boolean;
}

function finish(f: FileBuilder): FileDiff {
  let status = f.status;
  let note = f.note;
  if (status !== 'binary' && status !== 'renamed' && status !== 'copied') {
    if (f.newFile || (f.oldPath === null && f.newPath !== null)) status = 'added';
    else if (f.deletedFile || (f.newPath === null && f.oldPath !== null)) status = 'deleted';
  }
  const oldPath = status === 'added' ? null : f.oldPath;
  const newPath = status === 'deleted' ? null : f.newPath;
  if (!note && f.hunks.length === 0 && status === 'modified') note = f.modeChange ? 'mode change only' : 'no content change';
  return { oldPath, newPath, status, hunks: f.hunks, note, oldBlob: f.oldBlob, newBlob: f.newBlob };
}

/**
 * Parse the diff part of a text (anything before the first file header is ignored; anything after
 * the last complete hunk that is not diff-shaped, such as a mail signature, ends the diff).
 * Returns the files and the exact slice of text that was the diff.
 */
export function parseDiff(text: string, opts: ParseDiffOptions): { files: FileDiff[]; diffText: string } {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
  const base = opts.lineBase ?? 0;
  const files: FileDiff[] = [];
  let cur = null as FileBuilder | null;
  let first = -1;
  let last = -1;
  const corrupt = (path: string | null, at: number): never => {
    throw new InputError(opts.input, `truncated or corrupt hunk at ${path ?? '(unknown file)'} line ${base + at + 1}`);
  };
  const startFile = (git: boolean): FileBuilder => {
    if (cur) files.push(finish(cur));
    cur = { oldPath: null, newPath: null, status: 'modified', hunks: [], note: null, oldBlob: null, newBlob: null, git, newFile: false, deletedFile: false, modeChange: false, sawHeaders: false };
    return cur;
  };
  const isMinusPlusPair = (i: number): boolean =>
    lines[i]!.startsWith('--- ') && i + 1 < lines.length && lines[i + 1]!.startsWith('+++ ');

  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('diff --git ')) {
      if (first < 0) first = i;
      const f = startFile(true);
      let pairAt = -1;
      const paths = pathsFromGitLine(line.slice('diff --git '.length));
      if (paths) [f.oldPath, f.newPath] = paths;
      i++;
      // Extended header lines up to the first hunk / next file.
      while (i < lines.length) {
        const h = lines[i]!;
        let m: RegExpMatchArray | null;
        if (h.startsWith('new file mode')) f.newFile = true;
        else if (h.startsWith('deleted file mode')) f.deletedFile = true;
        else if (h.startsWith('old mode') || h.startsWith('new mode')) f.modeChange = true;
        else if ((m = h.match(/^rename from (.*)$/))) { f.oldPath = unquotePath(m[1]!); f.status = 'renamed'; }
        else if ((m = h.match(/^rename to (.*)$/))) { f.newPath = unquotePath(m[1]!); f.status = 'renamed'; }
        else if ((m = h.match(/^copy from (.*)$/))) { f.oldPath = unquotePath(m[1]!); f.status = 'copied'; }
        else if ((m = h.match(/^copy to (.*)$/))) { f.newPath = unquotePath(m[1]!); f.status = 'copied'; }
        else if ((m = h.match(INDEX_RE))) {
          f.oldBlob = blobId(m[1]!);
          f.newBlob = blobId(m[2]!);
        } else if (/^(?:dis)?similarity index /.test(h)) { /* informational */ }
        else if (/^Binary files .* differ$/.test(h)) {
          f.status = 'binary';
          f.note = 'binary file skipped';
        } else if (h === 'GIT binary patch') {
          f.status = 'binary';
          f.note = 'binary file skipped';
          i++;
          while (i < lines.length && (lines[i] === '' || GIT_BINARY_LINE.test(lines[i]!)) && !lines[i]!.startsWith('diff --git ')) i++;
          last = i - 1;
          break;
        } else if (isMinusPlusPair(i)) {
          pairAt = i;
          const o = headerPath(h.slice(4), true);
          const n = headerPath(lines[i + 1]!.slice(4), true);
          if (o === null) f.newFile = true;
          if (n === null) f.deletedFile = true;
          if (o !== null) f.oldPath = o;
          if (n !== null) f.newPath = n;
          if (f.newFile && n !== null) f.newPath = n;
          i += 2;
          last = i - 1;
          break;
        } else if (h.startsWith('--- ') || h.startsWith('+++ ')) {
          corrupt(f.newPath ?? f.oldPath, i); // a ---/+++ header without its pair: truncated
        } else break;
        last = i;
        i++;
      }
      if (f.newFile && f.oldPath !== null && f.status === 'modified') f.oldPath = null;
      i = readHunks(i, f);
      // `---`/`+++` promise content: a file header cut before its first hunk is a truncated diff.
      if (pairAt >= 0 && f.hunks.length === 0) corrupt(f.newPath ?? f.oldPath, pairAt);
      continue;
    }
    if (line.startsWith('diff --cc ') || line.startsWith('diff --combined ')) {
      if (first < 0) first = i;
      const f = startFile(true);
      f.newPath = f.oldPath = line.replace(/^diff --(?:cc|combined) /, '');
      f.note = 'combined (merge) diff skipped';
      i++;
      while (i < lines.length && !lines[i]!.startsWith('diff --')) i++;
      last = i - 1;
      continue;
    }
    if (isMinusPlusPair(i) && i + 2 < lines.length && HUNK_RE.test(lines[i + 2]!)) {
      if (first < 0) first = i;
      const git = /^--- (?:a\/|\/dev\/null)/.test(line) && /^\+\+\+ (?:b\/|\/dev\/null)/.test(lines[i + 1]!);
      const f = startFile(git);
      f.oldPath = headerPath(line.slice(4), git);
      f.newPath = headerPath(lines[i + 1]!.slice(4), git);
      if (f.oldPath === null) f.newFile = true;
      if (f.newPath === null) f.deletedFile = true;
      i += 2;
      last = i - 1;
      i = readHunks(i, f);
      continue;
    }
    if (/^Binary files .* differ$/.test(line) && first >= 0) {
      // A plain `diff` binary notice between files.
      const m = line.match(/^Binary files (.*) and (.*) differ$/)!;
      const f = startFile(false);
      f.oldPath = headerPath(m[1]!, false);
      f.newPath = headerPath(m[2]!, false);
      f.status = 'binary';
      f.note = 'binary file skipped';
      last = i;
      i++;
      continue;
    }
    if (first >= 0) {
      // After the diff started: a line that is not a new file ends the diff (signature, trailer),
      // except lines that are diff-shaped: those mean a hunk carried more lines than it said.
      if (line === '') {
        i++;
        continue;
      }
      if (endsDiff(line)) break;
      const open = cur as FileBuilder | null;
      // A blank line some mailers put between hunks: the next hunk still belongs to the file.
      if (line.startsWith('@@')) {
        if (open && HUNK_RE.test(line)) {
          i = readHunks(i, open);
          continue;
        }
        corrupt(open?.newPath ?? open?.oldPath ?? null, i);
      }
      // A file header pair without a hunk under it: the diff was cut.
      if (isMinusPlusPair(i)) corrupt(headerPath(lines[i + 1]!.slice(4), true) ?? headerPath(line.slice(4), true), i);
      if (/^[-+ ]/.test(line)) {
        if (open && open.hunks.length) corrupt(open.newPath ?? open.oldPath, i);
        break;
      }
      if (line.startsWith('Index: ') || /^={20,}$/.test(line) || line.startsWith('diff ') || line.startsWith('Only in ')) {
        i++;
        continue;
      }
      break;
    }
    i++;
  }
  if (cur) files.push(finish(cur));
  const diffText = first >= 0 ? lines.slice(first, last + 1).join('\n') + '\n' : '';
  return { files, diffText };

  /** Reads the hunks of the current file starting at line `at`; returns the next line index. */
  function readHunks(at: number, f: FileBuilder): number {
    let j = at;
    while (j < lines.length) {
      const m = lines[j]!.match(HUNK_RE);
      if (!m) {
        if (lines[j]!.startsWith('@@')) corrupt(f.newPath ?? f.oldPath, j);
        break;
      }
      const oldStart = Number(m[1]);
      const oldLines = m[2] === undefined ? 1 : Number(m[2]);
      const newStart = Number(m[3]);
      const newLines = m[4] === undefined ? 1 : Number(m[4]);
      const hunk: Hunk = { oldStart, oldLines, newStart, newLines, header: (m[5] ?? '').trim(), lines: [] };
      const headerAt = j;
      j++;
      let oldLeft = oldLines;
      let newLeft = newLines;
      // An empty side starts at the line before its first line (`-0,0`, `+12,0`).
      let oldNo = oldLines === 0 ? oldStart + 1 : oldStart;
      let newNo = newLines === 0 ? newStart + 1 : newStart;
      while (oldLeft > 0 || newLeft > 0) {
        if (j >= lines.length) corrupt(f.newPath ?? f.oldPath, headerAt);
        const l = lines[j]!;
        const c = l[0];
        let dl: DiffLine;
        if (c === ' ' || l === '') {
          if (oldLeft <= 0 || newLeft <= 0) corrupt(f.newPath ?? f.oldPath, headerAt);
          dl = { kind: 'ctx', text: l.slice(1), oldLine: oldNo++, newLine: newNo++ };
          oldLeft--;
          newLeft--;
        } else if (c === '-') {
          if (oldLeft <= 0) corrupt(f.newPath ?? f.oldPath, headerAt);
          dl = { kind: 'del', text: l.slice(1), oldLine: oldNo++, newLine: null };
          oldLeft--;
        } else if (c === '+') {
          if (newLeft <= 0) corrupt(f.newPath ?? f.oldPath, headerAt);
          dl = { kind: 'add', text: l.slice(1), oldLine: null, newLine: newNo++ };
          newLeft--;
        } else if (c === '\\') {
          j++;
          continue;
        } else {
          corrupt(f.newPath ?? f.oldPath, headerAt);
        }
        hunk.lines.push(dl!);
        j++;
      }
      while (j < lines.length && lines[j]!.startsWith('\\')) j++;
      f.hunks.push(hunk);
      last = j - 1;
      // More diff-shaped lines right after a complete hunk: its counts were too small.
      if (j < lines.length) {
        const n = lines[j]!;
        if ((n[0] === '+' || n[0] === '-' || n[0] === ' ') && !endsDiff(n) && !isMinusPlusPair(j)) corrupt(f.newPath ?? f.oldPath, headerAt);
      }
    }
    return j;
  }
}
