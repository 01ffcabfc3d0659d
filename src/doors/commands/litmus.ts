// `lockreview litmus`. (Being built by its issue.)
import type { Command } from 'commander';

export function registerLitmus(_program: Command, _setStatus: (code: number) => void): void {}
