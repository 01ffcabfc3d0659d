// JSON renderer: the documented contract (README "JSON output"). Absent reproduction fields are null.
import type { Report } from '../model/index.js';

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
