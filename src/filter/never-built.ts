// Drops findings that need a kernel option Kconfig never enables for the flagged file: a
// PREEMPT_RT-only finding (an RT "sleeping" spinlock under a raw lock, a seqcount reader that
// spins on RT ...) in mm/huge_memory.c cannot happen, because TRANSPARENT_HUGEPAGE depends on
// !PREEMPT_RT and is the only thing that builds the file. This is how a maintainer dismisses such
// a report; the facts are rules/kconfig/never-rt-*.yaml (scripts/gen-kconfig-rt.mjs).
//
// A finding needs an option when its reproduction's configs name it (`CONFIG_PREEMPT_RT` or
// `CONFIG_PREEMPT_RT=y`, as the RT-only checks write them); findings whose configs do not name it
// matter on every kernel and are never dropped here. Each dropped finding leaves a note.
// Blind spots: code under `#ifdef CONFIG_X` inside a file built on RT is not known to the facts,
// and the facts are one kernel version's (6.12) Kconfig.
import type { Finding } from '../model/index.js';
import type { NeverBuiltEntry } from '../kb/index.js';

/** The part of the knowledge base this filter reads. */
export interface NeverBuiltFacts {
  neverBuiltWith(option: string, file: string): NeverBuiltEntry | undefined;
}

/** The options a finding needs set (`CONFIG_FOO` or `CONFIG_FOO=y` -> FOO). */
export function requiredOptions(finding: Finding): string[] {
  const out: string[] = [];
  for (const c of finding.reproduction?.configs ?? []) {
    const m = /^CONFIG_(\w+)(?:=y)?$/.exec(c.trim());
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The findings whose required options Kconfig can have for their file; a note for each other. */
export function dropNeverBuilt(findings: readonly Finding[], facts: NeverBuiltFacts, notes: string[]): Finding[] {
  return findings.filter((f) => {
    for (const option of requiredOptions(f)) {
      const entry = facts.neverBuiltWith(option, f.file);
      if (!entry) continue;
      const why = entry.via ? `${entry.symbol} depends on ${entry.via}, which depends on !${option}` : `${entry.symbol} depends on !${option}`;
      notes.push(`${f.file}:${f.line} ${f.ruleId} dropped: ${why} (${entry.where})`);
      return false;
    }
    return true;
  });
}
