// Typed errors. Only the doors map them to exit codes (InputError -> 2); everything below the
// doors throws these instead of printing or exiting.

/** Bad input or usage: broken mbox, binary or truncated patch, unknown encoding, bad config.
 *  The door prints `lockreview: <input>: <message>` on one line and exits 2. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
  override toString(): string {
    return this.input ? `${this.input}: ${this.message}` : this.message;
  }
}

/** A construct the analysis (or the LKMM checker) does not support: never a wrong answer. */
export class UnsupportedError extends Error {
  constructor(readonly construct: string, message?: string) {
    super(message ?? `unsupported: ${construct}`);
    this.name = 'UnsupportedError';
  }
}

export const EXIT = { ok: 0, findings: 1, badInput: 2, internal: 3 } as const;
