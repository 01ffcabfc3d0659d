// `lockreview inbox`. (Being built by its issue.)
import type { Command } from 'commander';

export function registerInbox(_program: Command, _setStatus: (code: number) => void): void {}
