// `lockreview check [--tree DIR | --hunks-only] [--format F] [--fail-on L] FILE...` (`-` reads stdin).
import type { Command } from 'commander';
import { reviewSeries } from '../../pipeline.js';
import { ingestInputs } from '../../ingest/index.js';
import { DEFAULT_LORE_URL, ingestThread } from '../../ingest/lore.js';
import { InputError } from '../../errors.js';
import { addReplyOptions, checkReplyOptions, deliverCheckReplies, type ReplyCliOptions } from './inbox.js';
import { parseFailOn, parseFormat, renderReport, exitStatus } from '../output.js';
import { loadConfigFor } from '../../config/load.js';
import { addLlmFlags, applyLlmFlags, type LlmFlags } from '../llm-flags.js';

export function registerCheck(program: Command, setStatus: (code: number) => void): void {
  const cmd = program
    .command('check')
    .description('review patch inputs: mbox, t.mbox.gz, .eml, format-patch files or directories, diffs, - for stdin')
    .argument('[inputs...]', 'patch inputs')
    .option('--msgid <message-id>', 'review the thread holding this Message-ID, fetched from --lore-url')
    .option('--lore-url <url>', 'public-inbox base URL for --msgid', DEFAULT_LORE_URL)
    .option('--max-fetch-mb <n>', 'largest thread accepted from --lore-url, in MiB', '64')
    .option('--tree <dir>', 'git repository of the project: analyse whole files, read from its objects by the patches\' blob ids, else from the series applied in a temporary worktree')
    .option('--hunks-only', 'analyse the hunks alone, even inside a repository that holds the series\' pre-image blobs')
    .option('--format <format>', 'text | json | sarif | email (replies as an mbox) | b4 (b4 review check JSON) | b4-prep (checkpatch-style lines)', 'text')
    .option('--fail-on <level>', 'error | warning | info | never (exit 1 when a finding reaches it)')
    .option('--config <file>', 'configuration file (.toml or .json)')
    .option('--strict', 'also report in-code suppressions that match no finding');
  addLlmFlags(addReplyOptions(cmd)).action(
    async (inputs: string[], o: { tree?: string; hunksOnly?: boolean; format: string; failOn?: string; config?: string; strict?: boolean; msgid?: string; loreUrl: string; maxFetchMb: string } & ReplyCliOptions & LlmFlags) => {
      const format = parseFormat(o.format);
      if (format !== 'email' && (o.out || o.send)) throw new InputError(o.out ? '--out' : '--send', 'needs --format email');
      const reply = format === 'email' ? checkReplyOptions(o) : null;
      const config = applyLlmFlags(await loadConfigFor({ configPath: o.config, repoRoot: o.tree ?? null }), o);
      if (o.strict) config.strict = true;
      const b4 = format === 'b4' || format === 'b4-prep';
      // b4 reads the verdict from stdout; a non-zero exit would read as "the check crashed".
      const failOn = o.failOn ? parseFailOn(o.failOn) : b4 ? 'never' : config.failOn;
      const maxMb = Number(o.maxFetchMb);
      if (!(maxMb > 0)) throw new InputError('--max-fetch-mb', `not a size: '${o.maxFetchMb}'`);
      if (o.tree && o.hunksOnly) throw new InputError('--hunks-only', 'give either --tree or --hunks-only, not both');
      if (o.msgid && inputs.length) throw new InputError('--msgid', 'give either --msgid or patch inputs, not both');
      if (!o.msgid && !inputs.length) throw new InputError('check', 'no input given (patch files, - for stdin, or --msgid)');
      let ingested;
      try {
        ingested = o.msgid ? await ingestThread(o.msgid, { baseUrl: o.loreUrl, maxBytes: Math.round(maxMb * 2 ** 20) }) : await ingestInputs(inputs);
      } catch (err) {
        // b4 hands every message of a series to its check command, cover letter included.
        if (b4 && err instanceof InputError && /no patch found/.test(err.message)) ingested = { series: [], notes: [] };
        else throw err;
      }
      // Inside a repository that holds the series' pre-image blobs, whole files come from it
      // without being asked for (as b4 finds a series' base by its blob ids).
      const report = await reviewSeries(ingested.series, { tree: o.tree, lookAround: process.cwd(), hunksOnly: o.hunksOnly, config }, [...ingested.notes]);
      if (reply && (o.out || o.send)) {
        if (!(await deliverCheckReplies(ingested.series, report, o, reply))) process.stderr.write('lockreview: some replies were not delivered (see above)\n');
      } else {
        // Rendered fully before anything is written: nothing half-written on a late error.
        const text = renderReport(report, format, format === 'text' && !!process.stdout.isTTY, reply ? { series: ingested.series, reply } : undefined);
        process.stdout.write(text);
      }
      setStatus(exitStatus(report, failOn));
    },
  );
}
