#!/usr/bin/env node
// Generates rules/kconfig/never-rt-6.12.yaml: the kernel sources that Kconfig never builds with
// CONFIG_PREEMPT_RT=y, so that a PREEMPT_RT-only finding in them can be dismissed the way a
// maintainer does ("i915 depends on !PREEMPT_RT, this cannot happen"). See docs/kconfig-rt.md.
//
//   node scripts/gen-kconfig-rt.mjs [TREE] [--out FILE]
//
// TREE: a kernel tree (default /tmp/ksrc/linux-source-6.12). --out: where to write (default
// rules/kconfig/never-rt-6.12.yaml). Reads only Kconfig* and Makefile/Kbuild files.
//
// Approach:
//  1. Kconfig. Every Kconfig* file is read. A `config`/`menuconfig` entry's conditions are the
//     top-level && conjuncts of its `depends on` lines, plus those of the enclosing `if` blocks and
//     `menu ... depends on` blocks, plus those of the `source` line that reads the file (a file
//     read from several places counts only when every place does). A symbol cannot be enabled with
//     PREEMPT_RT=y when one conjunct is `!PREEMPT_RT` or another such symbol, for every one of its
//     definitions; found by rounds to a fixpoint. Anything under `||` (not a top-level conjunct),
//     and `default`, `select`, `imply` and `visible if` lines, is ignored.
//  2. Makefiles. Every token naming `x.o` or `dir/` on an assignment line is a mention of
//     `x.c` beside the Makefile (listed only when it exists) or of the directory. A mention is
//     gated when the assignment's left side is `<name>-$(CONFIG_SYM)` with SYM from step 1, or when
//     it is a part of a composite object (`foo-y += x.o`, `foo-objs`) whose `foo.o` is gated. A
//     path is listed only when every mention of it is gated by the same symbol (conservative: a
//     file also built unconditionally, or under another symbol, is left out). Paths inside a
//     listed directory are not repeated.
// Blind spots: `#ifdef CONFIG_SYM` blocks inside files built on RT and Makefile `ifdef` blocks are
// not followed; only the architectures present in the tree are seen.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const OUT = outIdx >= 0 ? args[outIdx + 1] : join(root, 'rules/kconfig/never-rt-6.12.yaml');
const TREE = args.find((a, i) => !a.startsWith('--') && (outIdx < 0 || i !== outIdx + 1)) ?? '/tmp/ksrc/linux-source-6.12';
const OPTION = 'PREEMPT_RT';
const SRCARCH = 'x86';

/** Files under the tree (relative, posix), skipping dot-directories. */
function walk(dir, rel = '', out = []) {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(dir, r, out);
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Lines with `\` continuations joined; each keeps the number of its first physical line. */
function logicalLines(text) {
  const out = [];
  const phys = text.split('\n');
  for (let i = 0; i < phys.length; i++) {
    const start = i + 1;
    let line = phys[i];
    while (line.endsWith('\\') && i + 1 < phys.length) line = line.slice(0, -1) + ' ' + phys[++i];
    out.push({ line: start, text: line });
  }
  return out;
}

/** The top-level && conjuncts of a Kconfig expression, outer parentheses removed; an expression
 *  whose top level is an || gives none (nothing under || is a requirement). */
function conjuncts(expr) {
  let e = expr.trim();
  for (;;) {
    if (!(e.startsWith('(') && e.endsWith(')'))) break;
    // Only when the opening parenthesis closes at the very end.
    let depth = 0;
    let closesAtEnd = true;
    for (let i = 0; i < e.length; i++) {
      if (e[i] === '(') depth++;
      else if (e[i] === ')' && --depth === 0 && i < e.length - 1) closesAtEnd = false;
    }
    if (!closesAtEnd) break;
    e = e.slice(1, -1).trim();
  }
  const parts = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < e.length; i++) {
    const c = e[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth === 0 && e.startsWith('||', i)) return [];
    if (depth === 0 && e.startsWith('&&', i)) {
      parts.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  if (parts.length === 1) return [normalizeAtom(parts[0])];
  return parts.flatMap((p) => conjuncts(p));
}

/** `!PREEMPT_RT`, `!(PREEMPT_RT)`, `SYM`, `SYM=y`, `SYM != n` -> a canonical atom. */
function normalizeAtom(atom) {
  let a = atom.replace(/\s+/g, '');
  a = a.replace(/^!\((\w+)\)$/, '!$1');
  a = a.replace(/^(\w+)(?:=y|!=n)$/, '$1');
  a = a.replace(/^\((\w+)\)$/, '$1');
  return a;
}

const indentOf = (s) => s.match(/^[ \t]*/)[0].replace(/\t/g, '        ').length;

/** One Kconfig file: its entries (symbol, line, conditions) and its `source` lines (target,
 *  conditions). A condition is { atom, where }. */
function parseKconfig(tree, file) {
  const defs = [];
  const sources = [];
  const blocks = []; // { kind: 'if'|'menu'|'choice'|'other', conds }
  let entry = null; // the current config entry, or a menu/choice header collecting `depends on`
  let helpIndent = null; // inside help text: null, -1 (first line not seen) or its indentation
  const lines = logicalLines(readFileSync(join(tree, file), 'utf8'));
  const enclosing = () => blocks.flatMap((b) => b.conds);
  for (const { line, text: raw } of lines) {
    if (helpIndent !== null) {
      if (raw.trim() === '') continue;
      if (helpIndent === -1) helpIndent = indentOf(raw);
      if (indentOf(raw) >= helpIndent) continue;
      helpIndent = null;
    }
    const text = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!text) continue;
    const where = `${file}:${line}`;
    let m;
    if ((m = /^(?:config|menuconfig)\s+(\w+)/.exec(text))) {
      entry = { sym: m[1], line, file, conds: enclosing() };
      defs.push(entry);
    } else if ((m = /^depends\s+on\s+(.*)$/.exec(text))) {
      if (entry) for (const atom of conjuncts(m[1])) entry.conds.push({ atom, where });
    } else if (/^(?:help|---help---)$/.test(text)) {
      helpIndent = -1;
    } else if ((m = /^if\s+(.*)$/.exec(text))) {
      blocks.push({ kind: 'if', conds: conjuncts(m[1]).map((atom) => ({ atom, where })) });
      entry = null;
    } else if (/^menu\s/.test(text) || /^choice\b/.test(text)) {
      // A menu's (or choice's) `depends on` lines follow its header, before its first entry.
      const block = { kind: /^menu/.test(text) ? 'menu' : 'choice', conds: [] };
      blocks.push(block);
      entry = { header: true, conds: block.conds };
    } else if (/^(?:endif|endmenu|endchoice)\b/.test(text)) {
      blocks.pop();
      entry = null;
    } else if ((m = /^([ro]?source)\s+"([^"]+)"/.exec(text))) {
      let target = m[2].replace(/\$\(SRCARCH\)/g, SRCARCH);
      if (m[1] === 'rsource') target = posix.join(posix.dirname(file), target);
      sources.push({ target, from: file, conds: enclosing() });
      entry = null;
    } else if (/^(?:comment|mainmenu)\b/.test(text)) {
      entry = null;
    }
  }
  return { defs, sources };
}

/** Step 1: symbol -> { where, via } for every symbol that cannot be enabled with OPTION=y. */
function neverSymbols(tree, kconfigFiles) {
  const parsed = kconfigFiles.map((f) => parseKconfig(tree, f));
  const defsBySym = new Map();
  const sourcedBy = new Map();
  for (const p of parsed) {
    for (const d of p.defs) defsBySym.set(d.sym, [...(defsBySym.get(d.sym) ?? []), d]);
    for (const s of p.sources) sourcedBy.set(s.target, [...(sourcedBy.get(s.target) ?? []), s]);
  }
  const never = new Map();
  const condsReason = (conds) => {
    for (const c of conds) {
      if (c.atom === `!${OPTION}`) return { where: c.where };
      if (never.has(c.atom)) return { where: c.where, via: c.atom };
    }
    return null;
  };
  const fileReason = (file, seen = new Set()) => {
    const sites = sourcedBy.get(file);
    if (!sites?.length || seen.has(file)) return null;
    seen.add(file);
    let first = null;
    for (const s of sites) {
      const r = condsReason(s.conds) ?? fileReason(s.from, seen);
      if (!r) return null;
      first ??= r;
    }
    return first;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [sym, defs] of defsBySym) {
      if (never.has(sym)) continue;
      const reasons = defs.map((d) => condsReason(d.conds) ?? fileReason(d.file));
      if (reasons.every(Boolean)) {
        never.set(sym, reasons[0]);
        changed = true;
      }
    }
  }
  return never;
}

/** Step 2: path -> symbol, for the paths every Makefile mention of which is gated by a never symbol.
 *  A part of a composite object (`foo-y += a.o`, `foo-objs := a.o`, `foo-$(CONFIG_X) += a.o` beside
 *  `obj-... += foo.o`) is gated as the composite is, or by its own never symbol. */
function gatedPaths(tree, makefiles, never) {
  const objects = new Map(); // `dir/x.o` -> [{ sym, module }]
  const dirs = new Map(); // `dir/` -> [{ sym }]
  const add = (map, key, m) => map.set(key, [...(map.get(key) ?? []), m]);
  for (const mk of makefiles) {
    const dir = posix.dirname(mk);
    for (const { text: raw } of logicalLines(readFileSync(join(tree, mk), 'utf8'))) {
      const text = raw.replace(/#.*$/, '');
      const m = /^\s*([\w$()-]+?)\s*(?::=|\+=|\?=|=)\s*(.*)$/.exec(text);
      if (!m) continue;
      const lhs = /^([\w-]+)-(?:y|objs|\$\(CONFIG_(\w+)\))$/.exec(m[1]);
      const sym = lhs?.[2] && never.has(lhs[2]) ? lhs[2] : null;
      const module = lhs ? posix.normalize(posix.join(dir, `${lhs[1]}.o`)) : null;
      for (const tok of m[2].split(/\s+/)) {
        if (!tok || tok.includes('$')) continue;
        if (tok.endsWith('.o')) add(objects, posix.normalize(posix.join(dir, tok)), { sym, module });
        else if (tok.endsWith('/')) add(dirs, posix.normalize(posix.join(dir, tok)).replace(/\/?$/, '/'), { sym });
      }
    }
  }
  const memo = new Map();
  /** The one never symbol all mentions of `key` are gated by, or null. */
  const gateOf = (mentions, seen) => {
    const syms = mentions.map((m) => m.sym ?? (m.module ? objectGate(m.module, seen) : null));
    return syms.every(Boolean) && new Set(syms).size === 1 ? syms[0] : null;
  };
  const objectGate = (key, seen = new Set()) => {
    if (memo.has(key)) return memo.get(key);
    if (seen.has(key) || !objects.has(key)) return null;
    seen.add(key);
    const sym = gateOf(objects.get(key), seen);
    memo.set(key, sym);
    return sym;
  };
  const listed = new Map();
  for (const key of objects.keys()) {
    const c = key.replace(/\.o$/, '.c');
    const sym = objectGate(key);
    if (sym && existsSync(join(tree, c))) listed.set(c, sym);
  }
  for (const [d, mentions] of dirs) {
    const sym = gateOf(mentions, new Set());
    if (sym && existsSync(join(tree, d)) && statSync(join(tree, d)).isDirectory()) listed.set(d, sym);
  }
  // A path inside a listed directory is covered by the directory's entry.
  for (const path of [...listed.keys()]) {
    for (let d = posix.dirname(path.replace(/\/$/, '')); d !== '.' && d !== '/'; d = posix.dirname(d)) {
      if (listed.has(`${d}/`)) {
        listed.delete(path);
        break;
      }
    }
  }
  return listed;
}

const files = walk(TREE);
const kconfigs = files.filter((f) => /(^|\/)Kconfig[^/]*$/.test(f)).sort();
const makefiles = files.filter((f) => /(^|\/)(Makefile|Kbuild)$/.test(f)).sort();
const never = neverSymbols(TREE, kconfigs);
const paths = gatedPaths(TREE, makefiles, never);
const entries = [...paths].map(([path, symbol]) => ({ path, symbol, ...never.get(symbol) })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

const q = (s) => `'${s.replace(/'/g, "''")}'`;
const out = [
  `# Generated by scripts/gen-kconfig-rt.mjs from ${TREE.replace(/^.*\//, '')} (Kconfig* and Makefile/Kbuild files;`,
  `# arch/ as present in that tree): the sources Kconfig never builds with CONFIG_${OPTION}=y.`,
  `# ${never.size} symbols cannot be enabled with ${OPTION}=y; ${entries.length} paths are built only under them.`,
  '# An entry: the path (a directory ends in /), the symbol that gates it, where that symbol gets its',
  `# !${OPTION} (file:line of the \`depends on\` or \`if\`), and via: the never-${OPTION} symbol it depends on.`,
  '# Do not edit: regenerate (docs/kconfig-rt.md).',
  'neverBuiltWith:',
  `  option: ${OPTION}`,
  '  entries:',
  ...entries.flatMap((e) => [`    - path: ${q(e.path)}`, `      symbol: ${e.symbol}`, `      where: ${q(e.where)}`, ...(e.via ? [`      via: ${e.via}`] : [])]),
  '',
].join('\n');
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, out);
process.stderr.write(`${never.size} symbols never built with ${OPTION}=y (${kconfigs.length} Kconfig files), ${entries.length} paths -> ${relative(process.cwd(), OUT) || OUT}\n`);
