// `lockreview litmus FILE...`: decides each litmus test with the embedded LKMM checker and prints
// herd7's layout (Test, States, Ok/No, Witnesses, Flag data-race, Condition, Observation).
// Every file is read and decided before anything is printed, so a bad file (exit 2, one line on
// stderr naming file:line) leaves no half-written output; an unsupported construct is also exit 2.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { litmusReport } from '../../litmus/index.js';

export function registerLitmus(program: Command, setStatus: (code: number) => void): void {
  program
    .command('litmus')
    .description('decide herd7 C litmus tests under the Linux-kernel memory model (Linux 6.12), printed as herd7 does')
    .argument('<files...>', 'litmus test files (- for stdin)')
    .action((files: string[]) => {
      const reports: string[] = [];
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file === '-' ? 0 : file, 'utf8');
        } catch (e) {
          throw new InputError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        reports.push(litmusReport(text, file === '-' ? '<stdin>' : file));
      }
      process.stdout.write(reports.join('\n'));
      setStatus(0);
    });
}
