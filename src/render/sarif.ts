// SARIF 2.1.0 renderer: one run, the rules from the check registry (meta id, title, help, docs,
// severity -> defaultConfiguration.level; ruleId `lockreview/<check-id>`), one result per finding
// at its post-image location with partialFingerprints from the finding's stable id, suppressions
// for findings silenced in source or dropped by triage, the CPU interleaving as a codeFlow with one
// threadFlow per CPU (executionOrder keeps the global order), and the litmus test, its verdict,
// the call chain and the splat in the result's property bag. Pure: returns the JSON text.
import type { CheckMeta, Finding, Interleaving, Report, Severity } from '../model/index.js';
import { allChecks } from '../checks/index.js';
import { byCodeUnit } from '../model/index.js';

export interface SarifOptions {
  /** Rule descriptors to publish; defaults to every registered check. */
  checks?: readonly CheckMeta[];
  /** The URI base id the artifact paths are relative to (GitHub code scanning uses %SRCROOT%). */
  uriBaseId?: string;
}

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'lockreviewFindingId/v1';

type Json = Record<string, unknown>;

export function sarifRuleId(checkId: string): string {
  return `lockreview/${checkId}`;
}

export function sarifLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

export function renderSarif(report: Report, opts: SarifOptions = {}): string {
  return JSON.stringify(buildSarif(report, opts), null, 2) + '\n';
}

/** The SARIF log as an object (the Action and tests use it without re-parsing). */
export function buildSarif(report: Report, opts: SarifOptions = {}): Json {
  const base = opts.uriBaseId ?? '%SRCROOT%';
  const metas = new Map<string, CheckMeta>();
  for (const m of opts.checks ?? allChecks().map((c) => c.meta)) metas.set(m.id, m);
  // A finding whose check is not in the registry (a config-supplied rule, an older report) still
  // gets a descriptor, so every result's ruleIndex points at a rule.
  for (const f of report.findings) {
    if (!metas.has(f.ruleId)) {
      metas.set(f.ruleId, { id: f.ruleId, class: f.class, severity: f.severity, title: f.ruleId, help: f.message, docs: [] });
    }
  }
  const ordered = [...metas.values()].sort((a, b) => byCodeUnit(a.id, b.id));
  const ruleIndex = new Map(ordered.map((m, i) => [m.id, i]));
  const run: Json = {
    tool: {
      driver: {
        name: report.tool.name,
        version: report.tool.version,
        semanticVersion: report.tool.version,
        rules: ordered.map(ruleDescriptor),
      },
    },
    invocations: [
      {
        executionSuccessful: true,
        toolExecutionNotifications: report.notes.map((n) => ({ level: 'note', message: { text: n } })),
      },
    ],
    originalUriBaseIds: { [base]: { description: { text: 'The root of the reviewed source tree' } } },
    columnKind: 'utf16CodeUnits',
    results: report.findings.map((f) => result(f, ruleIndex.get(f.ruleId) ?? 0, base)),
    properties: {
      series: report.series.map((s) => ({ subject: s.subject, messageId: s.messageId, version: s.version, patches: s.patches.length })),
      stats: report.stats,
    },
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

function ruleDescriptor(m: CheckMeta): Json {
  const docs = m.docs.length ? `\n\nKernel documentation: ${m.docs.join(', ')}` : '';
  const docsMd = m.docs.length ? `\n\nKernel documentation: ${m.docs.map((d) => `\`${d}\``).join(', ')}` : '';
  return {
    id: sarifRuleId(m.id),
    name: m.id
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(''),
    shortDescription: { text: m.title },
    fullDescription: { text: m.help },
    help: { text: m.help + docs, markdown: `**${m.title}**\n\n${m.help}${docsMd}` },
    defaultConfiguration: { level: sarifLevel(m.severity) },
    properties: { tags: ['concurrency', 'locking', m.class], class: m.class, docs: m.docs, precision: 'high' },
  };
}

function result(f: Finding, index: number, base: string): Json {
  const region: Json = { startLine: f.line };
  if (f.endLine && f.endLine > f.line) region.endLine = f.endLine;
  const location: Json = { physicalLocation: { artifactLocation: { uri: f.file, uriBaseId: base }, region } };
  if (f.function) location.logicalLocations = [{ name: f.function, kind: 'function' }];
  const r = f.reproduction;
  const out: Json = {
    ruleId: sarifRuleId(f.ruleId),
    ruleIndex: index,
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [location],
    partialFingerprints: { [FINGERPRINT_KEY]: f.id },
    properties: {
      findingId: f.id,
      class: f.class,
      patch: f.patch,
      introduced: f.introduced,
      function: f.function,
      litmus: r.litmus,
      verdict: r.verdict,
      chain: r.chain,
      splat: r.splat,
      configs: r.configs,
      ...(f.wordedBy ? { wordedBy: f.wordedBy, originalMessage: f.originalMessage ?? null } : {}),
      ...(f.triage ? { triage: f.triage } : {}),
    },
  };
  if (r.interleaving) out.codeFlows = [codeFlow(r.interleaving, f, base)];
  const suppressions: Json[] = [];
  if (f.suppressed) {
    suppressions.push({
      kind: 'inSource',
      status: 'accepted',
      justification: f.suppressed.reason,
      location: { physicalLocation: { artifactLocation: { uri: f.file, uriBaseId: base }, region: { startLine: f.suppressed.line } } },
    });
  }
  if (f.triage?.outcome === 'drop') suppressions.push({ kind: 'external', status: 'accepted', justification: `${f.triage.model}: ${f.triage.reason}` });
  if (suppressions.length) out.suppressions = suppressions;
  return out;
}

/** One threadFlow per CPU; executionOrder numbers the steps across CPUs in interleaving order. */
function codeFlow(il: Interleaving, f: Finding, base: string): Json {
  const threadFlows = il.cpus.map((cpu, i) => {
    const locations: Json[] = [];
    il.steps.forEach((step, order) => {
      if (step.cpu !== i) return;
      const text = step.note ? `${step.action} (${step.note})` : step.action;
      const location: Json = { message: { text } };
      if (step.line) {
        location.physicalLocation = { artifactLocation: { uri: step.file ?? f.file, uriBaseId: base }, region: { startLine: step.line } };
      }
      locations.push({ location, executionOrder: order + 1, nestingLevel: 0 });
    });
    // SARIF wants at least one location per thread flow; a CPU that only waits still has a column.
    if (!locations.length) locations.push({ location: { message: { text: `${cpu} takes no step` } } });
    return { id: cpu, message: { text: cpu }, locations };
  });
  return { message: { text: il.outcome ? `${il.title}: ${il.outcome}` : il.title }, threadFlows };
}
