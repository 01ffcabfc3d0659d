// The command-line door. Parses arguments (commander), calls the pipeline, writes the output, and
// maps typed errors to exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input/usage.
// Each subcommand lives in commands/<name>.ts and registers itself on the program.

import { Command, CommanderError } from 'commander';
import { InputError, UnsupportedError, EXIT } from '../errors.js';
import { VERSION } from '../version.js';

type Register = (program: Command, setStatus: (code: number) => void) => void;

/** Command modules, loaded lazily: `--version` and a one-patch check must not pay for the mail,
 *  GitHub or LKMM code they do not use. */
const MODULES: Record<string, () => Promise<Register>> = {
  check: async () => (await import('./commands/check.js')).registerCheck,
  scan: async () => (await import('./commands/scan.js')).registerScan,
  litmus: async () => (await import('./commands/litmus.js')).registerLitmus,
  presend: async () => (await import('./commands/presend.js')).registerPresend, // presend + install-hook
  inbox: async () => (await import('./commands/inbox.js')).registerInbox,
};

/** Command name -> the module that registers it. */
const MODULE_OF: Record<string, string> = { check: 'check', scan: 'scan', litmus: 'litmus', presend: 'presend', 'install-hook': 'presend', inbox: 'inbox' };

/** The modules to load for an argument list: the named command's alone; none for a bare
 *  --version; all of them for help, no command or an unknown one (so commander can list them). */
function modulesFor(argv: string[]): string[] {
  const name = argv.find((a) => !a.startsWith('-'));
  if (name && MODULE_OF[name]) return [MODULE_OF[name]];
  if (!name && argv.some((a) => a === '-V' || a === '--version')) return [];
  return Object.keys(MODULES);
}

export type CommandResult = { code: number };

/** Runs the CLI; returns the exit status (never calls process.exit, so tests can drive it). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('lockreview')
    .description('Finds locking bugs in Linux-kernel patch series, with reproductions')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let status: number = EXIT.ok;
  const setStatus = (code: number) => {
    status = code;
  };
  try {
    for (const module of modulesFor(argv)) (await MODULES[module]!())(program, setStatus);
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (err) {
    return exitCodeFor(err);
  }
}

/** Typed errors -> one line on stderr and an exit code. Never a stack trace for bad input. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    return EXIT.badInput; // commander already printed its one-line message
  }
  if (err instanceof InputError) {
    process.stderr.write(`lockreview: ${err.toString()}\n`);
    return EXIT.badInput;
  }
  if (err instanceof UnsupportedError) {
    process.stderr.write(`lockreview: ${err.message}\n`);
    return EXIT.badInput;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`lockreview: internal error: ${msg}\n`);
  if (process.env.LOCKREVIEW_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return EXIT.internal;
}
