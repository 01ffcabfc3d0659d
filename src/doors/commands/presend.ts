// `lockreview presend`. (Being built by its issue.)
import type { Command } from 'commander';

export function registerPresend(_program: Command, _setStatus: (code: number) => void): void {}
