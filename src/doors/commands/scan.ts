// `lockreview scan [--format F] [--fail-on L] [--config FILE] PATH...`: the same checks over whole
// C files (directories are searched for .c/.h); every finding counts as introduced.
import type { Command } from 'commander';
import { scanPaths, type ScanThroughput } from '../../pipeline.js';
import { parseFailOn, parseFormat, renderReport, exitStatus } from '../output.js';
import { loadConfigFor } from '../../config/load.js';

export function registerScan(program: Command, setStatus: (code: number) => void): void {
  program
    .command('scan')
    .description('audit whole C files or directories (.c/.h) with every check; all findings count as introduced; prints lines/s on stderr')
    .argument('<paths...>', 'files or directories')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--fail-on <level>', 'error | warning | info | never (exit 1 when a finding reaches it)')
    .option('--config <file>', 'configuration file (.toml or .json)')
    .action(async (paths: string[], o: { format: string; failOn?: string; config?: string }) => {
      const format = parseFormat(o.format);
      const config = await loadConfigFor({ configPath: o.config, repoRoot: null });
      const failOn = o.failOn ? parseFailOn(o.failOn) : config.failOn;
      let throughput: ScanThroughput | null = null;
      const report = await scanPaths(paths, { config, onThroughput: (t) => (throughput = t) });
      // Rendered fully before anything is written: nothing half-written on a late error.
      const text = renderReport(report, format, format === 'text' && !!process.stdout.isTTY);
      process.stdout.write(text);
      // On stderr, so that the report on stdout stays the same from run to run.
      if (throughput) process.stderr.write(throughputLine(throughput) + '\n');
      setStatus(exitStatus(report, failOn));
    });
}

/** "lockreview scan: 818 files, 807123 lines in 6.2 s: 130181 lines/s on 2 threads". */
export function throughputLine(t: ScanThroughput): string {
  const seconds = Math.max(t.ms, 1) / 1000;
  return `lockreview scan: ${t.files} files, ${t.lines} lines in ${seconds.toFixed(1)} s: ${Math.round(t.lines / seconds)} lines/s on ${t.threads} thread${t.threads === 1 ? '' : 's'}`;
}
