// `lockreview scan`. (Being built by its issue.)
import type { Command } from 'commander';

export function registerScan(_program: Command, _setStatus: (code: number) => void): void {}
