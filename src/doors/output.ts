// Shared by the CLI commands: format a report, decide the exit status from --fail-on.
import type { FailOn, Report, Series } from '../model/index.js';
import { SEVERITY_RANK, findingCounts } from '../model/index.js';
import { InputError } from '../errors.js';
import { renderJson } from '../render/json.js';
import { renderText } from '../render/text.js';
import { renderSarif } from '../render/sarif.js';
import { formatMbox, renderReplies, type ReplyOptions } from '../render/email.js';
import { renderB4, renderB4Prep } from '../render/b4.js';

export type Format = 'text' | 'json' | 'sarif' | 'email' | 'b4' | 'b4-prep';

export function parseFormat(s: string): Format {
  if (s === 'text' || s === 'json' || s === 'sarif' || s === 'email' || s === 'b4' || s === 'b4-prep') return s;
  throw new InputError('--format', `unknown format '${s}' (text, json, sarif, email, b4, b4-prep)`);
}

/** What the email format needs besides the report: the patches answered, and the reply settings. */
export interface EmailContext {
  series: Series[];
  reply: ReplyOptions;
}

export function parseFailOn(s: string): FailOn {
  if (s === 'error' || s === 'warning' || s === 'info' || s === 'never') return s;
  throw new InputError('--fail-on', `unknown level '${s}' (error, warning, info, never)`);
}

export function renderReport(report: Report, format: Format, color: boolean, email?: EmailContext): string {
  if (format === 'json') return renderJson(report);
  if (format === 'email') {
    if (!email) throw new InputError('--format', 'email replies need patch mail input (check, inbox)');
    return formatMbox(renderReplies(email.series, report, email.reply));
  }
  if (format === 'sarif') return renderSarif(report);
  if (format === 'b4') return renderB4(report);
  if (format === 'b4-prep') return renderB4Prep(report);
  return renderText(report, { color });
}

/** 1 when a finding that is not suppressed or triaged away reaches the --fail-on level. */
export function exitStatus(report: Report, failOn: FailOn): number {
  if (failOn === 'never') return 0;
  const floor = SEVERITY_RANK[failOn];
  return report.findings.some((f) => findingCounts(f) && SEVERITY_RANK[f.severity] >= floor) ? 1 : 0;
}
