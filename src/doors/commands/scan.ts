// `lockreview scan [--format F] [--fail-on L] [--config FILE] PATH...`: the same checks over whole
// C files (directories are searched for .c/.h); every finding counts as introduced.
import type { Command } from 'commander';
import { scanPaths } from '../../pipeline.js';
import { parseFailOn, parseFormat, renderReport, exitStatus } from '../output.js';
import { loadConfigFor } from '../../config/load.js';

export function registerScan(program: Command, setStatus: (code: number) => void): void {
  program
    .command('scan')
    .description('audit whole C files or directories (.c/.h) with every check; all findings count as introduced')
    .argument('<paths...>', 'files or directories')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--fail-on <level>', 'error | warning | info | never (exit 1 when a finding reaches it)')
    .option('--config <file>', 'configuration file (.toml or .json)')
    .action(async (paths: string[], o: { format: string; failOn?: string; config?: string }) => {
      const format = parseFormat(o.format);
      const config = await loadConfigFor({ configPath: o.config, repoRoot: null });
      const failOn = o.failOn ? parseFailOn(o.failOn) : config.failOn;
      const report = await scanPaths(paths, { config });
      // Rendered fully before anything is written: nothing half-written on a late error.
      const text = renderReport(report, format, format === 'text' && !!process.stdout.isTTY);
      process.stdout.write(text);
      setStatus(exitStatus(report, failOn));
    });
}
