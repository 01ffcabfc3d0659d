// Tokens of herd7's C litmus dialect. Outside the thread bodies (header, init block, final
// condition) comments are OCaml-style `(* *)` and nest; inside a thread body the code is C, so
// `READ_ONCE(*x)` is an expression and comments are `//` or `/* */` (as herd7 splits a test). The test name after the leading `C` is taken raw up to the end of its line,
// because names like `MP+poonceonces` or `doc-locking-DCL-broken` are not C identifiers.
import { InputError } from '../errors.js';

export type TokenKind = 'id' | 'num' | 'str' | 'punct' | 'name' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
}

const PUNCT = ['/\\', '\\/', '==', '!=', '<=', '>=', '&&', '||', '->', '<<', '>>', '=>', '{', '}', '(', ')', '[', ']', ';', ',', '*', '&', '=', '<', '>', '+', '-', '!', '~', ':', '|', '^', '%', '/', '.', '?'];

export function tokenize(src: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let sawHeader = false;
  // Brace depth and whether the braces at depth 0 being opened belong to a thread body.
  let depth = 0;
  let threadPending = false;
  let inThread = false;
  const n = src.length;
  const fail = (msg: string, at: number): never => {
    throw new InputError(`${file}:${at}`, msg);
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '(' && src[i + 1] === '*' && !inThread) {
      const start = line;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (src[i] === '(' && src[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (src[i] === '*' && src[i + 1] === ')') {
          depth--;
          i += 2;
        } else {
          if (src[i] === '\n') line++;
          i++;
        }
      }
      if (depth > 0) fail('unterminated (* comment', start);
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const start = line;
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated /* comment', start);
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (!sawHeader) {
      // The first token must be the architecture `C`, then the raw test name.
      const m = /^([A-Za-z]+)[ \t]+([^\s]+)/.exec(src.slice(i, src.indexOf('\n', i) < 0 ? n : src.indexOf('\n', i)));
      if (!m) fail('expected a header line `C <name>`', line);
      out.push({ kind: 'id', text: m![1]!, line });
      out.push({ kind: 'name', text: m![2]!, line });
      sawHeader = true;
      i += m![0].length;
      continue;
    }
    if (c === '"') {
      const start = line;
      let j = i + 1;
      while (j < n && src[j] !== '"') {
        if (src[j] === '\n') line++;
        j++;
      }
      if (j >= n) fail('unterminated string', start);
      out.push({ kind: 'str', text: src.slice(i + 1, j), line: start });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      const text = src.slice(i, j);
      if (depth === 0 && /^P\d+$/.test(text)) threadPending = true;
      out.push({ kind: 'id', text, line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      if (c === '0' && (src[j] === 'x' || src[j] === 'X')) {
        j++;
        while (j < n && /[0-9a-fA-F]/.test(src[j]!)) j++;
      } else {
        while (j < n && /[0-9]/.test(src[j]!)) j++;
      }
      while (j < n && /[uUlL]/.test(src[j]!)) j++;
      out.push({ kind: 'num', text: src.slice(i, j).replace(/[uUlL]+$/, ''), line });
      i = j;
      continue;
    }
    const p = PUNCT.find((s) => src.startsWith(s, i));
    if (!p) fail(`unexpected character '${c}'`, line);
    out.push({ kind: 'punct', text: p!, line });
    i += p!.length;
    if (p === '{') {
      if (depth === 0 && threadPending) inThread = true;
      depth++;
    } else if (p === '}' && depth > 0) {
      depth--;
      if (depth === 0) inThread = threadPending = false;
    }
  }
  if (!sawHeader) fail('empty litmus test (expected `C <name>`)', line);
  out.push({ kind: 'eof', text: '', line });
  return out;
}
