// The generated sleep database (rules/primitives/sleep-6.12-generated.yaml): kernel functions that
// sleep on their straight path, computed by the engine's own summaries over a kernel tree, so that
// a patch calling such a function under a spinlock is caught when the function is defined in a
// file the patch does not touch (smatch keeps the same kind of fact in its cross-function database).
//
// This module is the generator's core; scripts/gen-sleep-db.mjs drives it over a whole tree. It is
// in src/ (not scripts/) so that tsc checks it against the engine API it reads, which other work
// changes, and so that the tests import it as they import the engine.
//
// Approach, in two phases:
//  1. Per file (fileSleepFacts): parse and model the file as `lockreview scan` does, compute the
//     summaries (computeSummaries: sleeping calls on the straight path, calls to the file's own
//     functions at most MAX_DEPTH deep), and keep, per function definition: its storage class, its
//     first straight-path sleeping chain, whether its sleeping depends on a gfp mask (a gfp_t
//     parameter, or a mask forwarded to an allocator), and the other functions it calls on its
//     straight path (for the cross-file rounds). Also the file's EXPORT_SYMBOL*() names.
//  2. Over all files (buildSleepDb): a name is a candidate when some non-static definition in a .c
//     file, or a static one (static inline in practice) in a public header (include/,
//     arch/x86/include/), exists and the name is exported or named in a public header. Then
//     rounds to a fixpoint: a definition that does not sleep by itself sleeps when a straight-path
//     call reaches a function already in the database (a function of its own file first, else the
//     database's entry of that name).
//  3. PREEMPT_RT only (the same candidates and rounds): a name none of whose definitions sleeps on
//     every config, but each takes a spinlock_t/rwlock_t/local_lock_t (the summary's maySleepOnRT)
//     or calls an RT entry on its straight path, is an `@rt` line, read as a sleepsOnRT primitive
//     (atomic-sleep-rt-only flags it under a raw spinlock, with IRQs hard-disabled, in an irq_chip
//     callback ...). A function that tests CONFIG_PREEMPT_RT gets no RT facts, as in the summaries.
//
// What is left out, and why:
//  - names the hand-written rules already know (primitives and wrappers): those win;
//  - names also defined `static` in some file (a patch to that file would see the database entry
//    instead of its own function: the knowledge base is asked before the file's summaries);
//  - names whose non-static definitions disagree (one sleeps, another does not: arch or config
//    alternatives, same-named functions of unrelated drivers). A non-sleeping static inline stub in
//    a header beside a sleeping definition in a .c file is the !CONFIG_FOO fallback and does not
//    count against it;
//  - functions with a gfp_t parameter or that forward a gfp mask: they sleep only for some masks;
//  - functions whose summary enters or waits for SRCU: a table entry is a primitive, which the
//    engine prefers to a definition in the analysed files, so in their own file it would hide the
//    SRCU facts the srcu checks read (kvm_io_bus_register_dev -> synchronize_srcu_expedited). They
//    still carry sleeping to their callers in other files (gpio_regmap_unregister -> gpiochip_remove);
//  - sleeping calls inside #if/#ifdef blocks of the function body (one configuration only).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { FunctionModel, KnowledgeBase } from '../engine/types.js';
import { modelUnit, wholeFileUnit } from '../engine/index.js';
import { CallerSectionTracker, computeSummaries, isSleepSummary, primitiveOf, straight } from '../engine/summaries.js';
import { buildKnowledgeBase, RULES_DIR, type Facts } from './index.js';
import { SLEEP_TABLE_LINE } from './schema.js';
import { byCodeUnit } from '../model/index.js';

/** The generated file, relative to rules/. */
export const SLEEP_DB_FILE = 'primitives/sleep-6.12-generated.yaml';

/** One function definition as phase 1 saw it. */
export interface SleepDbDefinition {
  name: string;
  line: number;
  isStatic: boolean;
  /** First sleeping chain on the straight path (the summary's maySleep), or null. */
  sleep: string[] | null;
  /** Sleeping depends on a gfp mask: a gfp_t parameter, or a mask forwarded to an allocator. */
  gfp: boolean;
  /** Functions (not primitives) called on the straight path, in order, without repeats. */
  calls: string[];
  /** The summary enters or waits for SRCU (srcuReadSides / srcuSyncs, own file, MAX_DEPTH deep). */
  srcu: boolean;
  /** First chain on the straight path that sleeps only on PREEMPT_RT (the summary's maySleepOnRT:
   *  a spinlock_t, rwlock_t or local_lock_t taken), or null. Older facts files lack it. */
  sleepRT?: string[] | null;
  /** The body tests CONFIG_PREEMPT_RT (the summaries give such a function no RT facts, and the
   *  cross-file rounds must not give it any either). */
  rtAware?: boolean;
}

export interface SleepDbFileFacts {
  file: string;
  definitions: SleepDbDefinition[];
  /** Names given to EXPORT_SYMBOL*() in the file. */
  exported: string[];
}

export interface SleepDbEntry {
  name: string;
  file: string;
  /** Calls from the function to the sleeping primitive: ["clk_prepare", "clk_core_prepare_lock", "mutex_lock"]. */
  chain: string[];
  /** 0: sleeps by the file's own summaries; n: through database entries found in round n. */
  round: number;
  /** Sleeps only on PREEMPT_RT: the chain ends in a spinlock_t/rwlock_t/local_lock_t (or a
   *  sleepsOnRT primitive), and no definition was found to sleep on every config. */
  rtOnly?: boolean;
}

export interface SleepDbResult {
  entries: SleepDbEntry[];
  /** How many names each exclusion removed (for the generator's report). */
  excluded: Record<string, number>;
  rounds: number;
  /** Rounds of the PREEMPT_RT-only pass. */
  rtRounds: number;
}

// ---------------------------------------------------------------------------------------------
// Knowledge base for generation

/** The rules/ knowledge base without the generated file itself, so that regenerating does not read
 *  its own previous output as hand-written facts. */
export async function baseKnowledgeBase(rulesDir = RULES_DIR): Promise<{ kb: KnowledgeBase; known: Set<string> }> {
  const { parseRulesText } = await import('./validate.js');
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => byCodeUnit(a.name, b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.(ya?ml|json)$/.test(e.name) && relative(rulesDir, p) !== SLEEP_DB_FILE) files.push(p);
    }
  };
  await walk(rulesDir);
  const facts: Facts[] = [];
  for (const f of files) facts.push(parseRulesText(relative(join(rulesDir, '..'), f), await readFile(f, 'utf8')));
  const kb = buildKnowledgeBase(facts);
  const known = new Set<string>();
  for (const f of facts) {
    for (const p of f.primitives) known.add(p.name);
    for (const w of Object.keys(f.wrappers)) known.add(w);
  }
  return { kb, known };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: one file

const EXPORT_RE = /\bEXPORT_(?:SYMBOL|SYMBOL_GPL|SYMBOL_NS|SYMBOL_NS_GPL|SYMBOL_FOR_MODULES|IPV6_MOD)\s*\(\s*([A-Za-z_]\w*)/g;

function storageClasses(fn: FunctionModel): Set<string> {
  const out = new Set<string>();
  for (const c of fn.node.namedChildren) if (c?.type === 'storage_class_specifier') out.add(c.text);
  return out;
}

/** Whether `node` sits inside an #if/#ifdef/#else block of the function body. */
function underPreprocessorBranch(node: SyntaxNode, fn: FunctionModel): boolean {
  const body = fn.node.childForFieldName('body');
  for (let n: SyntaxNode | null = node.parent; n && n.id !== body?.id && n.id !== fn.node.id; n = n.parent) {
    if (/^preproc_(if|ifdef|else|elif|elifdef)$/.test(n.type)) return true;
  }
  return false;
}

/** The functions a definition calls on its straight path, before it leaves a section its caller
 *  entered (the summaries' CallerSectionTracker: the same calls the engine's summaries follow). */
function straightCallees(fn: FunctionModel, kb: KnowledgeBase): string[] {
  const section = new CallerSectionTracker();
  const out: string[] = [];
  for (const ev of fn.events) {
    if (ev.kind !== 'call') continue;
    const p = primitiveOf(ev, kb);
    if (!p) {
      if (/^[A-Za-z_]\w*$/.test(ev.callee) && !out.includes(ev.callee) && straight(ev, fn) && !underPreprocessorBranch(ev.node, fn)) out.push(ev.callee);
      continue;
    }
    section.observe(ev, p);
    if (section.left) break;
  }
  return out;
}

/** Phase 1 over one file's text. `file` is the path recorded in the database (tree-relative). */
export async function fileSleepFacts(file: string, text: string, kb: KnowledgeBase): Promise<SleepDbFileFacts> {
  const exported = [...new Set([...text.matchAll(EXPORT_RE)].map((m) => m[1]!))];
  const parsed = await modelUnit(wholeFileUnit(file, null, text, 'all'), kb);
  try {
    const fns = parsed.functions;
    const summaries = computeSummaries(fns, kb);
    const first = new Map<string, FunctionModel>();
    for (const fn of fns) if (!first.has(fn.name)) first.set(fn.name, fn);
    const definitions: SleepDbDefinition[] = [];
    for (const fn of fns) {
      // A second definition of a name in one file (#ifdef alternatives) gets a summary of its own.
      const s = first.get(fn.name) === fn ? summaries.get(fn.name) : computeSummaries(fns.filter((f) => f.name !== fn.name || f === fn), kb).get(fn.name);
      const classes = storageClasses(fn);
      const gfpTyped = [...fn.params.values()].some((t) => /\bgfp_t\b/.test(t));
      // A sleeping call inside an #if block of the body is one configuration's: it does not count.
      const unconditional = (fact: { chain: string[]; line: number } | null | undefined): string[] | null => {
        if (!fact) return null;
        const ev = fn.events.find((e) => e.kind === 'call' && e.line === fact.line && e.callee === fact.chain[0]);
        return ev && underPreprocessorBranch(ev.node, fn) ? null : fact.chain;
      };
      const sleep = unconditional(s?.maySleep);
      definitions.push({
        name: fn.name,
        line: fn.startLine,
        isStatic: classes.has('static'),
        sleep,
        gfp: gfpTyped || (isSleepSummary(s) && s.gfpParam != null),
        calls: straightCallees(fn, kb),
        srcu: !!s && (s.srcuReadSides.length > 0 || s.srcuSyncs.length > 0),
        sleepRT: unconditional(s?.maySleepOnRT),
        rtAware: /\bCONFIG_PREEMPT_RT\b/.test(fn.node.text),
      });
    }
    return { file, definitions, exported };
  } finally {
    parsed.tree.delete();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: the whole tree

/** Headers whose static inline functions every file can call. */
export function isPublicHeader(file: string): boolean {
  return /^(include|arch\/[^/]+\/include)\/.*\.h$/.test(file);
}

export interface BuildOptions {
  /** Names the hand-written rules define (primitives and wrappers): never emitted. */
  known: ReadonlySet<string>;
  /** Names that appear as a call or declaration in a public header. */
  declaredInHeaders: ReadonlySet<string>;
  /** Cross-file rounds; Infinity (the default) iterates to a fixpoint. */
  maxRounds?: number;
}

interface Def extends SleepDbDefinition {
  file: string;
}

export function buildSleepDb(files: readonly SleepDbFileFacts[], opts: BuildOptions): SleepDbResult {
  const excluded: Record<string, number> = {};
  const exclude = (why: string) => (excluded[why] = (excluded[why] ?? 0) + 1);
  const exported = new Set(files.flatMap((f) => f.exported));
  const defsByName = new Map<string, Def[]>();
  const localDefs = new Map<string, Map<string, Def>>(); // file -> name -> first definition there
  for (const f of files) {
    const local = new Map<string, Def>();
    localDefs.set(f.file, local);
    for (const d of f.definitions) {
      const def = { ...d, file: f.file };
      if (!local.has(d.name)) local.set(d.name, def);
      let list = defsByName.get(d.name);
      if (!list) defsByName.set(d.name, (list = []));
      list.push(def);
    }
  }

  // Which definitions of a name make it a candidate, or why it is not one.
  const candidates = new Map<string, Def[]>();
  for (const [name, defs] of defsByName) {
    const outer = defs.filter((d) => (!d.isStatic && d.file.endsWith('.c')) || (d.isStatic && isPublicHeader(d.file)));
    if (!outer.length) continue;
    if (opts.known.has(name)) {
      exclude('hand-written');
      continue;
    }
    if (!exported.has(name) && !opts.declaredInHeaders.has(name) && !outer.some((d) => isPublicHeader(d.file))) {
      exclude('not visible outside its subsystem');
      continue;
    }
    if (defs.some((d) => d.isStatic && !isPublicHeader(d.file))) {
      exclude('also defined static elsewhere');
      continue;
    }
    if (defs.some((d) => !d.isStatic && !d.file.endsWith('.c'))) {
      exclude('non-static definition in a header');
      continue;
    }
    if (outer.some((d) => d.gfp)) {
      exclude('gfp-dependent');
      continue;
    }
    candidates.set(name, outer);
  }

  // Rounds: round 0 takes the summaries' own facts; round n adds definitions whose straight path
  // calls a function found by round n-1 (their own file's function of that name first).
  const sleeping = new Map<string, SleepDbEntry>(); // names that sleep so far (emitted or not)
  const defChain = new Map<Def, { chain: string[]; round: number }>(); // sleeping definitions (any storage class)
  for (const defs of defsByName.values()) for (const d of defs) if (d.sleep && !d.gfp) defChain.set(d, { chain: d.sleep, round: 0 });
  const maxRounds = opts.maxRounds ?? Infinity;
  let round = 0;
  const settle = (r: number) => {
    let added = 0;
    for (const [name, defs] of candidates) {
      if (sleeping.has(name)) continue;
      const facts = defs.map((d) => defChain.get(d));
      const sleepers = defs.filter((_, i) => facts[i]);
      const cFiles = defs.filter((d) => d.file.endsWith('.c'));
      // Every non-static .c definition must sleep; a header stub may not (the !CONFIG fallback).
      const decisive = cFiles.length ? cFiles : defs;
      if (!decisive.every((d) => defChain.has(d))) continue;
      const pick = sleepers.find((d) => d.file.endsWith('.c')) ?? sleepers[0]!;
      const fact = defChain.get(pick)!;
      sleeping.set(name, { name, file: pick.file, chain: fact.chain, round: Math.max(r, fact.round) });
      added++;
    }
    return added;
  };
  settle(0);
  while (round < maxRounds) {
    round++;
    let grew = false;
    for (const local of localDefs.values()) {
      for (const d of local.values()) {
        if (defChain.has(d) || d.gfp) continue;
        for (const callee of d.calls) {
          if (callee === d.name) continue;
          const own = local.get(callee);
          const fact = own ? defChain.get(own) : sleeping.get(callee);
          if (!fact) continue;
          // Only what the previous rounds found: a chain grows by one call per round.
          if (fact.round >= round) continue;
          defChain.set(d, { chain: [callee, ...fact.chain], round });
          grew = true;
          break;
        }
      }
    }
    if (settle(round) === 0 && !grew) break;
  }

  // PREEMPT_RT-only pass, over the names that do not sleep on every config: the same candidates
  // and rounds, with the summaries' maySleepOnRT as round 0. A definition that sleeps always counts
  // as sleeping on RT (a name whose .c definitions split into "always" and "RT only" sleeps on RT
  // whatever the configuration). A function that tests CONFIG_PREEMPT_RT was written with RT in
  // mind (the summaries give it no RT facts): it gets none here either, nor does its name.
  const rtSleeping = new Map<string, SleepDbEntry>();
  const rtChain = new Map<Def, { chain: string[]; round: number }>();
  for (const defs of defsByName.values()) for (const d of defs) if (!defChain.has(d) && d.sleepRT && !d.gfp && !d.rtAware) rtChain.set(d, { chain: d.sleepRT, round: 0 });
  const onRT = (d: Def) => rtChain.get(d) ?? defChain.get(d);
  const settleRT = (r: number) => {
    let added = 0;
    for (const [name, defs] of candidates) {
      if (sleeping.has(name) || rtSleeping.has(name)) continue;
      const cFiles = defs.filter((d) => d.file.endsWith('.c'));
      const decisive = cFiles.length ? cFiles : defs;
      if (decisive.some((d) => d.rtAware) || !decisive.every((d) => onRT(d))) continue;
      const pick = defs.find((d) => d.file.endsWith('.c') && rtChain.has(d)) ?? defs.find((d) => rtChain.has(d));
      if (!pick) continue;
      const fact = rtChain.get(pick)!;
      rtSleeping.set(name, { name, file: pick.file, chain: fact.chain, round: Math.max(r, fact.round), rtOnly: true });
      added++;
    }
    return added;
  };
  settleRT(0);
  let rtRound = 0;
  while (rtRound < maxRounds) {
    rtRound++;
    let grew = false;
    for (const local of localDefs.values()) {
      for (const d of local.values()) {
        if (defChain.has(d) || rtChain.has(d) || d.gfp || d.rtAware) continue;
        for (const callee of d.calls) {
          if (callee === d.name) continue;
          const own = local.get(callee);
          const fact = own ? rtChain.get(own) : rtSleeping.get(callee);
          if (!fact || fact.round >= rtRound) continue;
          rtChain.set(d, { chain: [callee, ...fact.chain], round: rtRound });
          grew = true;
          break;
        }
      }
    }
    if (settleRT(rtRound) === 0 && !grew) break;
  }

  // Names that some non-static definition shows but that never settled: disagreeing definitions.
  for (const [name, defs] of candidates) {
    if (sleeping.has(name) || rtSleeping.has(name)) continue;
    if (defs.some((d) => defChain.has(d))) exclude('definitions disagree');
    else if (defs.some((d) => rtChain.has(d))) exclude('definitions disagree (PREEMPT_RT only)');
    else if (defs.some((d) => d.rtAware)) exclude('tests CONFIG_PREEMPT_RT (no PREEMPT_RT facts)');
  }
  const entries = [...sleeping.values(), ...rtSleeping.values()]
    .filter((e) => {
      if (!candidates.get(e.name)!.some((d) => d.srcu)) return true;
      exclude(e.rtOnly ? 'SRCU facts in its own file (PREEMPT_RT only)' : 'SRCU facts in its own file');
      return false;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, excluded, rounds: round, rtRounds: rtRound };
}

// ---------------------------------------------------------------------------------------------
// Output

/** The database entry's one-line doc: where the function is and what it reaches. */
export function entryDoc(e: SleepDbEntry): string {
  return `${e.file}:${e.rtOnly ? ' on PREEMPT_RT' : ''} -> ${e.chain.map((c) => (c.endsWith(')') ? c : `${c}()`)).join(' -> ')}`;
}

/** The token between the file and the chain of a line that sleeps only on PREEMPT_RT. */
export const SLEEP_TABLE_RT_MARK = '@rt';

/** The rules file text: a header, then the compact sleep table (src/kb/schema.ts sleepTableSchema),
 *  one `name file callee...` line per function (`name file @rt callee...` when it sleeps only on
 *  PREEMPT_RT), sorted by name. The knowledge base turns a line into a sleeping (or sleepsOnRT)
 *  primitive whose doc is entryDoc(). */
export function renderSleepDb(entries: readonly SleepDbEntry[], header: readonly string[]): string {
  const lines = header.map((h) => (h ? `# ${h}` : '#'));
  lines.push('sleepTable:', '  lines: |');
  for (const e of entries) {
    const line = [e.name, e.file, ...(e.rtOnly ? [SLEEP_TABLE_RT_MARK] : []), ...e.chain].join(' ');
    if (!SLEEP_TABLE_LINE.test(line)) throw new Error(`cannot write a sleep table line for ${e.name}: ${line}`);
    lines.push(`    ${line}`);
  }
  return lines.join('\n') + '\n';
}

/** Names used as a call or declared as a function in a header's text (`name(`). */
export function headerFunctionNames(text: string, into: Set<string>): void {
  for (const m of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) into.add(m[1]!);
}
