// The suppression stage: marks findings covered by an in-code `lockreview: ignore` comment
// (Finding.suppressed; the doors do not count them for the exit status) and reports misuse:
//   lockreview-suppression-without-reason  (warning) a suppression with no `-- reason`, when it
//       suppresses a finding or was added by the series. It still suppresses: the warning asks for
//       the reason, it does not resurrect the finding.
//   lockreview-unused-suppression          (warning, only with --strict / strict = true) a
//       suppression added by the series that matched no finding (stale, or a mistyped rule id).
// Their class is the class of the rule the comment names (a check id's class, or the class itself
// when a class is named; else the class whose name prefixes the id); 'lock-order' when the name
// matches nothing we know, which only happens for a typo that --strict reports anyway.
//
// Text comes from the best source available: the SourceProvider's whole post-image file after the
// finding's patch, else the lines of that patch's hunks (so a suppression outside the hunks is not
// seen in hunk-only mode). A comment is recognised across patches by its file and marker text, so
// a later patch that shifts lines still uses it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Finding, FindingClass, Series, SourceProvider } from '../model/index.js';
import { FINDING_CLASSES } from '../model/index.js';
import { allChecks } from '../checks/index.js';
import { covers, findSuppressions, linesOf, type LineText, type SuppressionComment } from './suppression-comments.js';

export const RULE_WITHOUT_REASON = 'lockreview-suppression-without-reason';
export const RULE_UNUSED = 'lockreview-unused-suppression';

/** Where suppression comments are read from. `added` lists the post-image lines each patch added,
 *  for the series-introduced suppressions (misuse is only reported on the series' own lines). */
export interface SuppressionText {
  /** Candidate texts of `file` after `patch` (several when several series share patch numbers). */
  texts(file: string, patch: number | null): Promise<LineText[]>;
  /** The (file, patch, added lines) triples of the input, for series-added suppressions. */
  added(): Iterable<{ file: string; patch: number; lines: ReadonlySet<number>; mentionsMarker: boolean }>;
}

export interface SuppressOptions {
  strict?: boolean;
}

export interface SuppressResult {
  /** The input findings, those covered by a comment marked `suppressed`. */
  findings: Finding[];
  /** New findings about the suppressions themselves (without reason, unused). */
  misuse: Finding[];
}

export async function suppressFindings(findings: Finding[], text: SuppressionText, opts: SuppressOptions = {}): Promise<SuppressResult> {
  const out: Finding[] = [];
  const used = new Set<string>();
  const extra = new Map<string, Finding>();
  const parsed = new Map<string, SuppressionComment[][]>();
  const suppressionsOf = async (file: string, patch: number | null): Promise<SuppressionComment[][]> => {
    const key = `${patch}\0${file}`;
    let got = parsed.get(key);
    if (!got) {
      got = (await text.texts(file, patch)).map(findSuppressions);
      parsed.set(key, got);
    }
    return got;
  };

  for (const f of findings) {
    let hit: SuppressionComment | undefined;
    for (const list of await suppressionsOf(f.file, f.patch)) {
      hit = list.find((s) => covers(s, f.line) && (s.rules.includes(f.ruleId) || s.rules.includes(f.class)));
      if (hit) break;
    }
    if (!hit) {
      out.push(f);
      continue;
    }
    used.add(identity(f.file, hit));
    out.push({ ...f, suppressed: { reason: hit.reason ?? '', line: hit.line } });
    if (!hit.reason) addOnce(extra, withoutReason(f.file, f.patch, hit, f.class));
  }

  // Suppressions the series itself added: reasonless ones always, unused ones with --strict.
  for (const a of text.added()) {
    if (!a.mentionsMarker) continue;
    for (const list of await suppressionsOf(a.file, a.patch)) {
      for (const s of list) {
        if (!touches(s, a.lines)) continue;
        if (!s.reason) addOnce(extra, withoutReason(a.file, a.patch, s, classOf(s.rules)));
        if (opts.strict && !used.has(identity(a.file, s))) addOnce(extra, unused(a.file, a.patch, s));
      }
    }
  }
  return { findings: out, misuse: [...extra.values()] };
}

/** SuppressionText over a list of series: whole files from `sources` when given, else hunks. */
export function seriesSuppressionText(seriesList: readonly Series[], sources: SourceProvider | null): SuppressionText {
  return {
    async texts(file, patch) {
      if (patch === null) return [];
      const texts: LineText[] = [];
      // Whole files: the provider serves one series (presend, the Action), touched or not.
      const whole = sources ? await sources.file(file, patch).catch(() => null) : null;
      if (whole !== null) return [linesOf(whole)];
      for (const series of seriesList) {
        const p = series.patches.find((x) => x.index === patch);
        const fd = p?.files.find((x) => x.newPath === file);
        if (!p || !fd) continue;
        const lines = new Map<number, string>();
        for (const h of fd.hunks) for (const l of h.lines) if (l.newLine !== null) lines.set(l.newLine, l.text);
        texts.push(lines);
      }
      return texts;
    },
    *added() {
      for (const series of seriesList) {
        for (const p of series.patches) {
          for (const fd of p.files) {
            if (!fd.newPath) continue;
            const lines = new Set<number>();
            let mentionsMarker = false;
            for (const h of fd.hunks) {
              for (const l of h.lines) {
                if (l.kind !== 'add' || l.newLine === null) continue;
                lines.add(l.newLine);
                if (l.text.includes('lockreview:')) mentionsMarker = true;
              }
            }
            yield { file: fd.newPath, patch: p.index, lines, mentionsMarker };
          }
        }
      }
    },
  };
}

/** SuppressionText for scan mode: findings carry patch null and the path the file was scanned as. */
export function diskSuppressionText(): SuppressionText {
  return {
    async texts(file) {
      const text = await readFile(file, 'utf8').catch(() => null);
      return text === null ? [] : [linesOf(text)];
    },
    added: () => [],
  };
}

function touches(s: SuppressionComment, lines: ReadonlySet<number>): boolean {
  for (let n = s.line; n <= s.endLine; n++) if (lines.has(n)) return true;
  return false;
}

function identity(file: string, s: SuppressionComment): string {
  return `${file}\0${s.marker}`;
}

function addOnce(map: Map<string, Finding>, f: Finding): void {
  if (!map.has(f.id)) map.set(f.id, f);
}

function withoutReason(file: string, patch: number | null, s: SuppressionComment, cls: FindingClass): Finding {
  const named = s.rules.join(', ');
  return meta(RULE_WITHOUT_REASON, cls, file, patch, s, `suppression of ${named} gives no reason: write 'lockreview: ignore ${named} -- <why this is safe>' so the next reader can check it`);
}

function unused(file: string, patch: number | null, s: SuppressionComment): Finding {
  const known = knownRules();
  const unknown = s.rules.filter((r) => !known.has(r));
  const why = unknown.length ? ` (no check or class is named ${unknown.map((r) => `'${r}'`).join(', ')})` : '';
  return meta(RULE_UNUSED, classOf(s.rules), file, patch, s, `suppression of ${s.rules.join(', ')} matched no finding${why}: remove it or fix the rule id`);
}

function meta(ruleId: string, cls: FindingClass, file: string, patch: number | null, s: SuppressionComment, message: string): Finding {
  const id = createHash('sha256').update(`${ruleId}\0${file}\0${s.marker}`).digest('hex').slice(0, 16);
  return {
    id,
    ruleId,
    class: cls,
    severity: 'warning',
    file,
    line: s.line,
    endLine: s.endLine,
    function: null,
    patch,
    introduced: true,
    message,
    reproduction: { interleaving: null, litmus: null, verdict: null, chain: null, splat: null, configs: null },
  };
}

let ruleClasses: Map<string, FindingClass> | null = null;

function knownRules(): Map<string, FindingClass> {
  if (!ruleClasses) {
    ruleClasses = new Map(FINDING_CLASSES.map((c) => [c, c]));
    for (const c of allChecks()) ruleClasses.set(c.meta.id, c.meta.class);
  }
  return ruleClasses;
}

function classOf(rules: string[]): FindingClass {
  const known = knownRules();
  for (const r of rules) {
    const c = known.get(r) ?? FINDING_CLASSES.find((k) => r.startsWith(`${k}-`));
    if (c) return c;
  }
  return 'lock-order';
}
