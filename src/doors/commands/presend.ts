// `lockreview presend [RANGE] [--worktree]`: review your own commits before sending them, reading
// whole files from git objects (nothing is checked out or written).
// `lockreview install-hook [--fail-on L] [--uninstall]`: the same check on every patch that
// `git send-email` is about to send, as git's sendemail-validate hook.
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { reviewSeries } from '../../pipeline.js';
import { parseFailOn, parseFormat, renderReport, exitStatus } from '../output.js';
import { loadConfigFor, repositoryAround } from '../../config/load.js';
import { addLlmFlags, applyLlmFlags, type LlmFlags } from '../llm-flags.js';
import { seriesFromGitRange } from '../../ingest/git-range.js';
import { installHook, uninstallHook } from '../../hook/index.js';

export function registerPresend(program: Command, setStatus: (code: number) => void): void {
  const presend = program
    .command('presend')
    .description('review your commits before sending them: @{upstream}..HEAD by default (else since the merge base with the default branch)')
    .argument('[range]', 'revision range A..B, or one revision R meaning R..HEAD')
    .option('--worktree', 'also review the uncommitted changes, as a last patch')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--fail-on <level>', 'error | warning | info | never (exit 1 when a finding reaches it)')
    .option('--config <file>', 'configuration file (.toml or .json)')
    .option('--strict', 'also report in-code suppressions that match no finding');
  addLlmFlags(presend).action(async (range: string | undefined, o: { worktree?: boolean; format: string; failOn?: string; config?: string; strict?: boolean } & LlmFlags) => {
      const format = parseFormat(o.format);
      const root = repositoryAround(process.cwd());
      if (!root) throw new InputError('presend', 'not inside a git work tree');
      const config = applyLlmFlags(await loadConfigFor({ configPath: o.config, repoRoot: root }), o);
      if (o.strict) config.strict = true;
      const failOn = o.failOn ? parseFailOn(o.failOn) : config.failOn;
      const { series, sources } = await seriesFromGitRange(root, { range, worktree: !!o.worktree });
      let text: string;
      let status: number;
      try {
        const report = await reviewSeries([series], { sources, config });
        // Rendered fully before anything is written: nothing half-written on a late error.
        text = renderReport(report, format, format === 'text' && !!process.stdout.isTTY);
        // Problems the range did not introduce are shown (marked pre-existing) but do not stop
        // the user sending: they were there before the series.
        status = exitStatus({ ...report, findings: report.findings.filter((f) => f.introduced) }, failOn);
      } finally {
        await sources.dispose();
      }
      process.stdout.write(text);
      setStatus(status);
    });

  program
    .command('install-hook')
    .description("install git's sendemail-validate hook: git send-email refuses patches with findings (an existing hook is kept and runs first)")
    .option('--fail-on <level>', 'record this level in the hook (default: the repository configuration decides at send time)')
    .option('--uninstall', 'remove the hook and put back the one that was there before')
    .action(async (o: { failOn?: string; uninstall?: boolean }) => {
      const root = repositoryAround(process.cwd());
      if (!root) throw new InputError('install-hook', 'not inside a git work tree');
      if (o.uninstall && o.failOn) throw new InputError('--fail-on', 'does not go with --uninstall');
      const change = o.uninstall ? uninstallHook(root) : installHook(root, { failOn: o.failOn ? parseFailOn(o.failOn) : null });
      process.stdout.write(change.notes.map((n) => `lockreview: ${n}\n`).join(''));
      setStatus(0);
    });
}
