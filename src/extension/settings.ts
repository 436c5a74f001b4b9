/** Reads the bnLab.* settings for validation (src/lab/settings.ts), renamed keys included. */
import * as vscode from 'vscode';
import { RENAMED, SETTING_KEYS, type SettingsInput } from '../lab/settings';

/** BN momentum and eps default per convention, so they are passed only when the user set them. */
const CONVENTION_DEFAULTED = new Set<string>(['batchNorm.momentum', 'batchNorm.epsilon']);

/** The settings as their defaults: what a run from the settings is described against. */
export function defaultSettings(): SettingsInput {
  const config = vscode.workspace.getConfiguration('bnLab');
  return Object.fromEntries(SETTING_KEYS.filter((k) => !CONVENTION_DEFAULTED.has(k)).map((k) => [k, config.inspect(k)?.defaultValue]));
}

/**
 * Whether the user set `key` in any scope. inspect() drops a user's `null` from globalValue (it keeps it in
 * globalLocalValue), and null is momentum "none": any non-default *Value counts as set.
 */
function isSet(config: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = (config.inspect(key) ?? {}) as Record<string, unknown>;
  return Object.entries(i).some(([k, v]) => k.endsWith('Value') && !k.startsWith('default') && v !== undefined);
}

export function readSettings(scope?: vscode.ConfigurationScope): SettingsInput {
  const config = vscode.workspace.getConfiguration('bnLab', scope);
  const input: SettingsInput = {};
  // get() returns a set value, null included.
  for (const key of SETTING_KEYS) if (!CONVENTION_DEFAULTED.has(key) || isSet(config, key)) input[key] = config.get(key);
  for (const old of Object.keys(RENAMED) as (keyof typeof RENAMED)[]) if (isSet(config, old)) input[old] = config.get(old);
  return input;
}
