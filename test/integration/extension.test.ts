import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BnLabApi } from '../../src/extension/extension';

const extensionId = 'bnlab.bn-lab';

async function activate(): Promise<BnLabApi> {
  const ext = vscode.extensions.getExtension<BnLabApi>(extensionId);
  assert.ok(ext, `extension ${extensionId} is not loaded`);
  return ext.activate();
}

describe('BN Lab extension', () => {
  let api: BnLabApi;
  before(async () => {
    api = await activate();
  });

  it('activates and returns its API', () => {
    assert.ok(vscode.extensions.getExtension(extensionId)?.isActive);
    assert.equal(typeof api.dashboard.reveal, 'function');
  });

  it('registers every command contributed in package.json', async () => {
    const contributed: string[] = vscode.extensions.getExtension(extensionId)!.packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(contributed.length >= 7);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });

  it('Open Dashboard reveals the dashboard view', async () => {
    assert.equal(api.dashboard.visible, false);
    await vscode.commands.executeCommand('bnLab.openDashboard');
    assert.equal(api.dashboard.visible, true);
  });

  it('reads bnLab.* settings with their defaults and user values', async () => {
    const config = () => vscode.workspace.getConfiguration('bnLab');
    assert.equal(config().get('model'), 'seed');
    assert.equal(config().get('batchSize'), 100);
    assert.equal(config().get('batchNorm.momentum'), 0.1);
    assert.equal(config().get('batchNorm.epsilon'), 1e-5);
    assert.equal(config().get('optimizer'), 'adam');
    await config().update('epochs', 3, vscode.ConfigurationTarget.Global);
    try {
      assert.equal(config().get('epochs'), 3);
    } finally {
      await config().update('epochs', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.equal(config().get('epochs'), 1);
  });
});
