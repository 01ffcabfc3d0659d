// SARIF 2.1.0 renderer. (Being built: see issue 5.)
import type { Report } from '../model/index.js';

export function renderSarif(report: Report): string {
  return JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'lockreview', version: report.tool.version, rules: [] } }, results: [] }] }, null, 2) + '\n';
}
