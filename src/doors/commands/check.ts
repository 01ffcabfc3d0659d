// `lockreview check [--tree DIR] [--format F] [--fail-on L] FILE...` (`-` reads stdin).
import type { Command } from 'commander';
import { reviewInputs } from '../../pipeline.js';
import { parseFailOn, parseFormat, renderReport, exitStatus } from '../output.js';
import { loadConfigFor } from '../../config/load.js';

export function registerCheck(program: Command, setStatus: (code: number) => void): void {
  program
    .command('check')
    .description('review patch inputs: mbox, t.mbox.gz, .eml, format-patch files or directories, diffs, - for stdin')
    .argument('<inputs...>', 'patch inputs')
    .option('--tree <dir>', 'git work tree of the project: apply the series in a temporary worktree and analyse whole files')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--fail-on <level>', 'error | warning | info | never (exit 1 when a finding reaches it)')
    .option('--config <file>', 'configuration file (.toml or .json)')
    .action(async (inputs: string[], o: { tree?: string; format: string; failOn?: string; config?: string }) => {
      const format = parseFormat(o.format);
      const config = await loadConfigFor({ configPath: o.config, repoRoot: o.tree ?? null });
      const failOn = o.failOn ? parseFailOn(o.failOn) : config.failOn;
      const report = await reviewInputs(inputs, { tree: o.tree, config });
      // Rendered fully before anything is written: nothing half-written on a late error.
      const text = renderReport(report, format, format === 'text' && !!process.stdout.isTTY);
      process.stdout.write(text);
      setStatus(exitStatus(report, failOn));
    });
}
