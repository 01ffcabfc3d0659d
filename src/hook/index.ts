// The git sendemail-validate hook: its script and its installation.
export { installHook, uninstallHook, hookPaths, isOurHook, type HookPaths, type HookChange, type InstallOptions } from './install.js';
export { hookScript, HOOK_MARKER, HOOK_NAME, CHAINED_SUFFIX, type HookScriptOptions } from './script.js';
