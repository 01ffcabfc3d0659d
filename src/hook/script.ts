// The text of the sendemail-validate hook. POSIX sh, no dependency but the recorded node and
// lockreview paths (a hook runs with whatever PATH git send-email was started with, so neither is
// looked up on PATH; LOCKREVIEW_BIN overrides both with one executable).

/** The line that tells our hook from anyone else's (install refuses to overwrite others'). */
export const HOOK_MARKER = '# lockreview-hook: sendemail-validate v1';

export const HOOK_NAME = 'sendemail-validate';
export const CHAINED_SUFFIX = '.lockreview-chained';

export interface HookScriptOptions {
  /** Absolute path of the node executable that runs lockreview. */
  node: string;
  /** Absolute path of bin/lockreview.js. */
  bin: string;
  /** Recorded --fail-on level; null: the repository's configuration decides when the hook runs. */
  failOn: string | null;
}

export function hookScript(o: HookScriptOptions): string {
  const failOn = o.failOn ? ` --fail-on ${sh(o.failOn)}` : '';
  return `#!/bin/sh
${HOOK_MARKER}
# Installed by \`lockreview install-hook\`; \`lockreview install-hook --uninstall\` removes it and
# puts back the hook that was here before. \`git send-email --no-validate\` skips it once.
# Checks each outgoing patch with \`lockreview check\` and refuses to send (exit non-zero) when a
# finding reaches the fail-on level${o.failOn ? ` (${o.failOn}, recorded at install)` : ' (from the repository configuration)'}.
# LOCKREVIEW_BIN=/path/to/lockreview overrides the lockreview recorded below.

patch=$1

# A hook that was here before lockreview's runs first, with the same arguments.
chained="$(dirname "$0")/${HOOK_NAME}${CHAINED_SUFFIX}"
if [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi

# A cover letter or anything else without a diff has nothing to check.
grep -q -E '^(diff --git |@@ -[0-9])' "$patch" || exit 0

if [ -n "\${LOCKREVIEW_BIN:-}" ]; then
	set -- "$LOCKREVIEW_BIN"
else
	set -- ${sh(o.node)} ${sh(o.bin)}
fi
"$@" check --format text${failOn} -- "$patch" >&2
status=$?
case $status in
0) exit 0 ;;
1) echo "lockreview: not sending $patch: findings at or above the fail-on level (above)." >&2 ;;
*) echo "lockreview: could not check $patch (exit $status): not sending." >&2 ;;
esac
echo "lockreview: fix the patch, add 'lockreview: ignore <rule> -- <reason>' in the code, or skip the check with git send-email --no-validate." >&2
exit $status
`;
}

/** Single-quotes a string for sh. */
function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
