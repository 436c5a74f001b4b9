/** Reads the bnLab.* settings for validation (src/lab/settings.ts). */
import * as vscode from 'vscode';
import { SETTING_KEYS, type SettingsInput } from '../lab/settings';

/** BN momentum and eps default per convention, so they are passed only when the user set them. */
const CONVENTION_DEFAULTED = new Set(['bnMomentum', 'bnEps']);

/** The settings as their defaults: what a run from the settings is described against. */
export function defaultSettings(): SettingsInput {
  const config = vscode.workspace.getConfiguration('bnLab');
  return Object.fromEntries(SETTING_KEYS.filter((k) => !CONVENTION_DEFAULTED.has(k)).map((k) => [k, config.inspect(k)?.defaultValue]));
}

export function readSettings(scope?: vscode.ConfigurationScope): SettingsInput {
  const config = vscode.workspace.getConfiguration('bnLab', scope);
  const input: SettingsInput = {};
  for (const key of SETTING_KEYS) {
    if (CONVENTION_DEFAULTED.has(key)) {
      // inspect() drops a user's `null` from globalValue (it keeps it in globalLocalValue), and null is
      // momentum "none": any non-default *Value counts as set, and get() returns it, null included.
      const i = (config.inspect(key) ?? {}) as Record<string, unknown>;
      if (Object.entries(i).some(([k, v]) => k.endsWith('Value') && !k.startsWith('default') && v !== undefined)) input[key] = config.get(key);
    } else input[key] = config.get(key);
  }
  return input;
}
