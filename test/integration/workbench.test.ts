import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BnLabApi } from '../../src/extension/extension';
import { until } from './until';

const extensionId = 'bnlab.bn-lab';
const SLOW = { model: 'conv(4,3) bn relu maxpool(2) flatten linear(16) bn relu linear', dataset: 'synthetic:shapes,n=20000,test=60', batchSize: 20, epochs: 1 };

const dashboardTabs = () =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('bnLab.dashboardPanel'));

describe('BN Lab in the workbench: editor tab and when clauses', function () {
  this.timeout(120_000);
  let api: BnLabApi;
  let manifest: { activationEvents: string[]; contributes: { configuration: Array<{ title: string; properties: Record<string, { markdownDescription?: string }> }>; menus: Record<string, Array<{ command: string; when?: string }>>; commands: Array<{ command: string; title: string; category: string }> } };
  before(async () => {
    const ext = vscode.extensions.getExtension<BnLabApi>(extensionId)!;
    api = await ext.activate();
    manifest = ext.packageJSON;
  });

  it('Open Dashboard in Editor works again after its tab was closed', async () => {
    for (let round = 1; round <= 3; round++) {
      const result = await vscode.commands.executeCommand<unknown>('bnLab.openDashboardPanel');
      assert.equal(result, undefined, `round ${round}: ${JSON.stringify(result)}`);
      const [tab] = await until(`a dashboard tab (round ${round})`, () => dashboardTabs().length === 1 && dashboardTabs());
      assert.equal(tab.label, 'BN Lab Dashboard');
      await vscode.window.tabGroups.close(tab);
      await until(`the tab to close (round ${round})`, () => dashboardTabs().length === 0);
    }
  });

  it('the editor-tab dashboard is restored after a window reload (a panel serializer, activated on demand)', () => {
    assert.ok(manifest.activationEvents.includes('onWebviewPanel:bnLab.dashboardPanel'), `activationEvents: ${manifest.activationEvents}`);
    // The restore itself is exercised in the UI tier (reload of the workbench page).
    assert.equal(typeof api.dashboard.deserializeWebviewPanel, 'function');
  });

  it('"BN Lab: Stop" is hidden while idle and shown while a run trains; no other command title matches "train" first', async () => {
    const stop = manifest.contributes.commands.find((c) => c.command === 'bnLab.stop')!;
    assert.ok(!/train/i.test(`${stop.category}: ${stop.title}`), `Stop's title matches "train": ${stop.title}`);
    // The palette lists matches alphabetically: any other title holding "train" ("Export … Training …") comes before Train.
    const alsoTrain = manifest.contributes.commands.filter((c) => c.command !== 'bnLab.train' && /train/i.test(c.title)).map((c) => c.title);
    assert.deepEqual(alsoTrain, [], 'command titles other than Train that the query "train" matches');
    assert.deepEqual(manifest.contributes.menus.commandPalette.find((m) => m.command === 'bnLab.stop'), { command: 'bnLab.stop', when: 'bnLab.training' });
    assert.match(manifest.contributes.menus['view/title'].find((m) => m.command === 'bnLab.stop')!.when!, /&& bnLab\.training$/);
    assert.equal(api.contextKeys.get('bnLab.training'), false);
    const config = vscode.workspace.getConfiguration('bnLab');
    for (const [k, v] of Object.entries(SLOW)) await config.update(k, v, vscode.ConfigurationTarget.Global);
    try {
      const result = vscode.commands.executeCommand('bnLab.train');
      await until('a running run', () => api.training.active.find((r) => r.step >= 1));
      assert.equal(api.contextKeys.get('bnLab.training'), true);
      await vscode.commands.executeCommand('bnLab.stop');
      await result;
      assert.equal(api.contextKeys.get('bnLab.training'), false);
    } finally {
      for (const k of Object.keys(SLOW)) await config.update(k, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('with bnLab.convention keras, Settings say which momentum and eps apply, and training uses them', async () => {
    const props = Object.assign({}, ...manifest.contributes.configuration.map((c) => c.properties));
    assert.match(props['bnLab.batchNorm.momentum'].markdownDescription!, /0\.1 with PyTorch, 0\.99 with Keras/);
    assert.match(props['bnLab.batchNorm.epsilon'].markdownDescription!, /1e-5 with PyTorch, 1e-3 with Keras/);
    assert.deepEqual(manifest.contributes.configuration.map((c) => c.title), ['Model and data', 'Training', 'Batch Normalization', 'Dashboard']);
    const config = vscode.workspace.getConfiguration('bnLab');
    const tiny = { ...SLOW, dataset: 'synthetic:shapes,n=100,test=20', batchSize: 50, convention: 'keras' };
    for (const [k, v] of Object.entries(tiny)) await config.update(k, v, vscode.ConfigurationTarget.Global);
    try {
      // Train runs the focused notebook cell when a notebook editor is active: train from the settings.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const outcome = await vscode.commands.executeCommand<{ status: string; runs: Array<{ runId: string; label: string }> }>('bnLab.train');
      assert.equal(outcome.status, 'done', JSON.stringify(outcome));
      const run = api.training.get(outcome.runs[0].runId)!;
      assert.deepEqual([run.config?.bn?.convention, run.config?.bn?.momentum, run.config?.bn?.eps], ['keras', 0.99, 1e-3]);
      assert.match(run.label, /keras BN/, 'the run is named by what differs from the default settings');
    } finally {
      for (const k of Object.keys(tiny)) await config.update(k, undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
