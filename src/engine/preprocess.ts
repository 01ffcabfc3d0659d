// Source rewriting that keeps kernel macros from derailing tree-sitter. Every rewrite keeps the
// line structure (newlines stay where they are) so unit lines map 1:1 to the text we parse.
//  - annotation and attribute macros (__acquires(x), __rcu, __must_check, __attribute__((...)) ...)
//    are blanked with spaces;
//  - iterator macros used as loop heads (list_for_each_entry(...) { ... }, for_each_cpu(c) stmt)
//    become `while (list_for_each_entry(...))`, so the body parses as a loop body and the walker
//    sees a loop whose condition is the iterator call; the do_each_* / while_each_* pairs of the
//    task lists become `while (...)` heads too (`} while_each_thread(g, t);` is a do-while's end);
//  - scoped_guard(...) { ... } / scoped_cond_guard(...) { ... } become `if (scoped_guard(...))`;
//    the walker holds the guard's lock inside that block only.

const BLANK_WORDS = [
  '__rcu', '__must_check', '__always_inline', '__init', '__exit', '__cold', '__hot', '__maybe_unused', '__percpu',
  '__iomem', '__user', '__force', '__kernel', 'notrace', '__sched', '__lockfunc', 'asmlinkage', '__visible', '__ref',
  '__noreturn', '__latent_entropy', '__randomize_layout', '__packed', '__read_mostly', '__initdata', '__initconst',
  '__ro_after_init', '__noclone', '__flatten', '__pure', '__weak', '__used', '__unused', '__nocfi', '__noinstr',
  'noinstr', '__cpuidle', '__irq_entry', '__kprobes', '__nocast', '__safe', '__private', '__data_racy', 'noinline',
  '__free_lock', '__always_unused', '__bitwise', '__fastpath_inline', '__cacheline_aligned', '__cacheline_aligned_in_smp',
  '____cacheline_aligned', '____cacheline_aligned_in_smp', '__no_kcsan', '__no_sanitize_address', '__no_profile',
];
const BLANK_CALLS = [
  '__acquires', '__releases', '__must_hold', '__cond_acquires', '__cond_releases', '__attribute__', '__aligned',
  '__section', '__printf', '__scanf', '__alias', '__malloc', '__alloc_size', '__counted_by', '__nonstring', '__diag_ignore',
  '__assume_aligned', '__realloc_size', 'ACQUIRE', 'RELEASE', '__no_context_analysis', '__guarded_by', '__pt_guarded_by',
];

const blankWordRe = new RegExp(`\\b(?:${BLANK_WORDS.join('|')})\\b`, 'g');
const blankCallRe = new RegExp(`\\b(?:${BLANK_CALLS.join('|')})\\s*\\(`, 'g');
/** Loop-head macros: list_for_each_entry, hlist_for_each_entry_rcu, for_each_online_cpu, idr_for_each_entry,
 *  xa_for_each, kvm_for_each_vcpu, rbtree_postorder_for_each_entry_safe, ... */
const LOOP_MACRO = /^(?:\w*_)?for_each(?:_\w+)?$|^for_each\w*$|^\w+_foreach\w*$/;
/** The do/while iterator pairs of the task lists: `do_each_pid_task(pid, type, t) { ... }
 *  while_each_pid_task(pid, type, t);` and `do { ... } while_each_thread(g, t);`. The closing
 *  macro stands where C wants `while (cond)`: left alone, tree-sitter loses the rest of the
 *  function (and merges the next one into it). */
const DO_WHILE_MACRO = /^(?:do|while)_each_\w+$/;
const SCOPED = /^(?:scoped_guard|scoped_cond_guard)$/;

const spaces = (s: string) => s.replace(/[^\n]/g, ' ');

/** Index just after the parenthesis matching the one at `open`; -1 when unbalanced. */
export function matchParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === '"' || c === "'") {
      const q = c;
      for (i++; i < text.length && text[i] !== q; i++) if (text[i] === '\\') i++;
    }
  }
  return -1;
}

export function preprocess(src: string): string {
  let text = src.replace(blankWordRe, (m) => spaces(m));
  // Blank annotation calls including their (balanced) argument list.
  let out = '';
  let last = 0;
  blankCallRe.lastIndex = 0;
  for (let m; (m = blankCallRe.exec(text)); ) {
    const open = m.index + m[0].length - 1;
    const end = matchParen(text, open);
    if (end < 0) continue;
    out += text.slice(last, m.index) + spaces(text.slice(m.index, end));
    last = end;
    blankCallRe.lastIndex = end;
  }
  text = out + text.slice(last);
  return rewriteStatementMacros(text);
}

/** Rewrites loop-head and scoped-guard macros in statement position. */
function rewriteStatementMacros(text: string): string {
  // No nested quantifiers: the scan must stay linear on 10k-line files.
  const re = /(^|[;{}:)]|\belse)\s*([A-Za-z_]\w*)\s*\(/gm;
  const edits: Array<{ at: number; end: number; kind: 'while' | 'if'; args: string }> = [];
  for (let m; (m = re.exec(text)); ) {
    const name = m[2]!;
    const isDoWhile = DO_WHILE_MACRO.test(name);
    const isLoop = isDoWhile || LOOP_MACRO.test(name);
    const isScoped = SCOPED.test(name);
    if (!isLoop && !isScoped) continue;
    const nameAt = m.index + m[0].lastIndexOf(name);
    // `#define for_each_foo(x) ...` lines are not statements.
    const lineStart = text.lastIndexOf('\n', nameAt) + 1;
    if (/^\s*#/.test(text.slice(lineStart, nameAt))) continue;
    const open = text.indexOf('(', nameAt);
    const end = matchParen(text, open);
    if (end < 0) continue;
    const next = /\S/.exec(text.slice(end));
    if (!next || (next[0] === ';' && !name.startsWith('while_each_')) || next[0] === ')' || next[0] === ',') continue;
    edits.push({ at: nameAt, end, kind: isLoop ? 'while' : 'if', args: text.slice(open, end) });
    re.lastIndex = open + 1;
  }
  if (!edits.length) return text;
  let out = '';
  let last = 0;
  for (const e of edits) {
    if (e.at < last) continue;
    let call = text.slice(e.at, e.end);
    // scoped_cond_guard(name, fail-statement, args): the fail action is not an expression.
    if (call.startsWith('scoped_cond_guard')) call = call.replace(/^(scoped_cond_guard\s*\(\s*[^,]*,)([^,]*),/, (_m, a: string, b: string) => `${a}${' '.repeat(Math.max(0, b.length - 1))}0,`);
    out += text.slice(last, e.at) + `${e.kind} (` + call + ')';
    last = e.end;
  }
  return out + text.slice(last);
}
