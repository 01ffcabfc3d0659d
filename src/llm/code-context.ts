// The code an LLM task is shown: the hunk lines around a finding (what a reviewer quotes) and the
// whole function when a whole file is available (for triage). Read from the series' own hunks or
// the SourceProvider; never from the user's disk.

import type { Finding, Series, SourceProvider } from '../model/index.js';

/** Up to `radius` post-image lines either side of the finding, from the hunk that holds it. */
export function quotedHunk(f: Finding, series: Series[], radius = 6): string {
  for (const s of series) {
    const patch = s.patches.find((p) => p.index === f.patch) ?? (f.patch === null ? s.patches[0] : undefined);
    if (!patch) continue;
    for (const file of patch.files) {
      if (file.newPath !== f.file) continue;
      for (const h of file.hunks) {
        const lines = h.lines.filter((l) => l.kind !== 'del');
        const at = lines.findIndex((l) => l.newLine === f.line);
        if (at < 0) continue;
        return lines
          .slice(Math.max(0, at - radius), at + radius + 1)
          .map((l) => `${l.kind === 'add' ? '+' : ' '}${l.text}`)
          .join('\n');
      }
    }
  }
  return '';
}

/** The function around the finding from the whole post-image file, by brace matching from the
 *  last line at or above the finding that opens a top-level definition. Falls back to the hunk. */
export async function functionText(f: Finding, series: Series[], sources: SourceProvider | null): Promise<string> {
  if (sources && f.patch !== null) {
    const text = await sources.file(f.file, f.patch).catch(() => null);
    if (text) {
      const lines = text.split('\n');
      let start = Math.min(f.line - 1, lines.length - 1);
      while (start > 0 && !/^[A-Za-z_].*\(/.test(lines[start]!)) start--;
      let depth = 0;
      let seen = false;
      let end = start;
      for (; end < lines.length; end++) {
        for (const ch of lines[end]!) {
          if (ch === '{') { depth++; seen = true; } else if (ch === '}') depth--;
        }
        if (seen && depth <= 0) break;
      }
      if (seen && end - start < 400) return lines.slice(start, end + 1).join('\n');
    }
  }
  return quotedHunk(f, series, 40);
}
