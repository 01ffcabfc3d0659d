// b4 renderers: what b4 expects from an external check command, for one patch mail on stdin.
//   - `b4` (b4 review / `b4 am --check`, config b4.review-perpatch-check-cmd): a JSON array of
//     {tool, status: pass|warn|fail, summary, url, details} on stdout.
//   - `b4-prep` (`b4 prep --check`, config b4.prep-perpatch-check-cmd): checkpatch's terse lines,
//     `file:line: WARNING: message`, one per finding, and nothing at all for a clean patch; b4
//     grades each line by its ERROR / WARNING / CHECK word.
// Only findings the patch introduced count; suppressed and triaged-away ones are left out.
import type { Finding, Report, Severity } from '../model/index.js';
import { findingCounts } from '../model/index.js';
import { renderText } from './text.js';

export interface B4CheckResult {
  tool: string;
  status: 'pass' | 'warn' | 'fail';
  summary: string;
  url: string;
  details: string;
}

function reportable(report: Report): Finding[] {
  return report.findings.filter((f) => f.introduced && findingCounts(f));
}

export function renderB4(report: Report): string {
  return JSON.stringify([b4Result(report)], null, 2) + '\n';
}

export function b4Result(report: Report): B4CheckResult {
  const findings = reportable(report);
  if (!findings.length) return { tool: 'lockreview', status: 'pass', summary: 'no locking problems found', url: '', details: '' };
  const status = findings.some((f) => f.severity === 'error') ? 'fail' : 'warn';
  const first = findings[0]!;
  const summary =
    findings.length === 1
      ? `${first.ruleId} at ${first.file}:${first.line}`
      : `${findings.length} locking findings: ${[...new Set(findings.map((f) => f.ruleId))].join(', ')}`;
  const details = renderText({ ...report, findings, notes: [], series: report.series.map((s) => ({ ...s, notes: [] })) }, { color: false });
  return { tool: 'lockreview', status, summary, url: '', details };
}

const CHECKPATCH_LEVEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'CHECK' };

export function renderB4Prep(report: Report): string {
  return reportable(report)
    .map((f) => `${f.file}:${f.line}: ${CHECKPATCH_LEVEL[f.severity]}: ${f.message.replace(/\s+/g, ' ')} [${f.ruleId}]\n`)
    .join('');
}
