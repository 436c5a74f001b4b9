/** Reads the bnLab.* settings for validation (src/lab/settings.ts). */
import * as vscode from 'vscode';
import { SETTING_KEYS, type SettingsInput } from '../lab/settings';

/** BN momentum and eps default per convention, so they are passed only when the user set them. */
const CONVENTION_DEFAULTED = new Set(['bnMomentum', 'bnEps']);

export function readSettings(scope?: vscode.ConfigurationScope): SettingsInput {
  const config = vscode.workspace.getConfiguration('bnLab', scope);
  const input: SettingsInput = {};
  for (const key of SETTING_KEYS) {
    if (CONVENTION_DEFAULTED.has(key)) {
      const i = config.inspect(key);
      const set = [i?.workspaceFolderValue, i?.workspaceValue, i?.globalValue].find((v) => v !== undefined);
      if (set !== undefined) input[key] = set;
    } else input[key] = config.get(key);
  }
  return input;
}
