// Training on WebGPU in the GPU Runner webview (chromium runs with --enable-unsafe-webgpu: a
// software adapter here), the fallback to the CPU when the device is lost, and what `auto` picks.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TrainOutcome } from '../../src/extension/commands';
import type { BnLabApi } from '../../src/extension/extension';
import { parseNotebookOutput, RUN_OUTPUT_MIME } from '../../src/protocol/notebook-output';
import { TINY, withSettings } from './settings';
import { until } from './until';

const extensionId = 'bnlab.bn-lab';



describe('BN Lab on WebGPU (GPU Runner webview)', function () {
  this.timeout(300_000);
  let api: BnLabApi;
  before(async () => {
    api = await vscode.extensions.getExtension<BnLabApi>(extensionId)!.activate();
  });

  it('auto with only a software adapter trains on the CPU and says why', async () => {
    const choice = await api.training.chooseBackend('auto');
    assert.equal(choice.backend, 'cpu');
    assert.match(choice.why ?? '', /auto chose the CPU: the only WebGPU adapter is a software one \(webgpu \(.*software\)\)/);
  });

  it('backend webgpu trains in the webview: events labelled webgpu, BN statistics, a checkpoint, no CPU fallback', async () => {
    const outcome = await withSettings({ ...TINY, backend: 'webgpu' }, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.train'));
    assert.equal(outcome.status, 'done');
    const [r] = outcome.status === 'done' ? outcome.runs : [];
    assert.equal(r.reason, 'completed', r.message);
    const run = api.training.get(r.runId)!;
    assert.equal(run.backend, 'webgpu', 'no fallback to the CPU');
    const start = run.events.find((e) => e.type === 'start');
    assert.ok(start?.type === 'start' && /^webgpu \(/.test(start.backend), `start event backend: ${start?.type === 'start' && start.backend}`);
    assert.equal(run.events.filter((e) => e.type === 'step').length, 6);
    const stats = run.events.find((e) => e.type === 'stats');
    assert.ok(stats?.type === 'stats' && stats.bn.length === 2 && stats.bn[0].batchMean.length === 4, 'per-channel BN statistics from the GPU');
    const evalEvent = run.events.find((e) => e.type === 'eval');
    assert.ok(evalEvent?.type === 'eval' && evalEvent.accuracy > 0, 'a test evaluation on the GPU');
    assert.ok(r.checkpoint && existsSync(join(r.checkpoint, 'model.safetensors')) && existsSync(join(r.checkpoint, 'model.json')), `checkpoint in ${r.checkpoint}`);
  });

  it('Stop on webgpu stops within one step of receipt and keeps a checkpoint', async () => {
    const result = withSettings({ ...TINY, backend: 'webgpu', dataset: 'synthetic:shapes,n=20000,test=60', batchSize: 20 }, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.train'));
    const run = await until('a webgpu run past step 3', () => api.training.active.find((x) => x.backend === 'webgpu' && x.step >= 3), 120_000);
    await vscode.commands.executeCommand('bnLab.stop');
    const outcome = await result;
    assert.ok(outcome.status === 'done');
    const r = outcome.runs[0];
    assert.equal(r.reason, 'cancelled', r.message);
    const received = run.stopReceivedAtStep;
    assert.ok(received !== undefined, 'the webview acknowledged the stop');
    // The runner reads step results once per window: the stop lands at the next step boundary.
    assert.ok(r.step <= received + 1, `stopped at step ${r.step}, the runner received the stop after step ${received}`);
    assert.ok(existsSync(join(r.checkpoint!, 'model.safetensors')), 'cancelled run keeps a checkpoint');
  });

  it('a lost GPU device mid-run: one clear message, and the run goes on on the CPU from the last checkpoint', async () => {
    const warnings: string[] = [];
    const result = withSettings({ ...TINY, backend: 'webgpu', epochs: 3 }, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.train'));
    const run = await until('a webgpu run past its first checkpoint', () => api.training.active.find((x) => x.backend === 'webgpu' && x.checkpoint && x.step >= 7), 120_000);
    const checkpointStep = run.checkpointStep;
    api.gpuRunner.loseDevice(run.runId);
    const sub = api.training.onEvent(({ run: r, event }) => r === run && event.type === 'start' && warnings.push(event.backend));
    const outcome = await result;
    sub.dispose();
    assert.ok(outcome.status === 'done');
    const r = outcome.runs[0];
    assert.equal(r.reason, 'completed', r.message);
    assert.equal(run.backend, 'cpu', 'finished on the CPU');
    assert.deepEqual(warnings, ['cpu'], 'the run restarted once, on the CPU');
    assert.equal(r.step, 18, '3 epochs of 6 steps in all');
    const resumed = run.events.filter((e) => e.type === 'step').map((e) => e.step);
    assert.ok(resumed.includes(checkpointStep + 1), `steps go on after the checkpoint at ${checkpointStep}`);
    assert.ok(existsSync(join(r.checkpoint!, 'model.safetensors')));
  });

  it('Compare BN Settings on webgpu runs every variant in the webview', async () => {
    const outcome = await withSettings({ ...TINY, backend: 'webgpu' }, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.compare', 'bn'));
    assert.ok(outcome?.status === 'done');
    assert.equal(outcome.runs.length, 2);
    for (const r of outcome.runs) {
      assert.equal(r.reason, 'completed', r.message);
      assert.equal(api.training.get(r.runId)!.backend, 'webgpu', `${r.runId} trained on webgpu`);
    }
  });

  it('closing the GPU Runner tab mid-run: the run goes on on the CPU from its last checkpoint, saying so', async () => {
    const result = withSettings({ ...TINY, backend: 'webgpu', epochs: 3 }, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.train'));
    const run = await until('a webgpu run past its first checkpoint', () => api.training.active.find((x) => x.backend === 'webgpu' && x.checkpoint && x.step >= 7), 120_000);
    const checkpointStep = run.checkpointStep;
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.label === 'BN Lab: GPU Runner');
    assert.ok(tab, 'the GPU Runner tab is open');
    await vscode.window.tabGroups.close(tab);
    const outcome = await result;
    assert.ok(outcome.status === 'done');
    const r = outcome.runs[0];
    assert.equal(r.reason, 'completed', r.message);
    assert.equal(run.backend, 'cpu', 'finished on the CPU');
    assert.match(run.backendNote ?? '', new RegExp(`the GPU runner was closed; it goes on on the CPU from the checkpoint at step ${checkpointStep}`));
    assert.equal(r.step, 18, '3 epochs of 6 steps in all');
    assert.ok(run.events.filter((e) => e.type === 'step').map((e) => e.step).includes(checkpointStep + 1), `steps go on after the checkpoint at ${checkpointStep}`);
  });

  it('a notebook cell with backend: webgpu trains on the GPU, its output naming the adapter', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bnlab-gpu-')), 'gpu.bnlab');
    writeFileSync(file, JSON.stringify({ bnlab: 1, metadata: {}, cells: [{ kind: 'lab', source: `name: gpu cell\nmodel: ${TINY.model}\ndata: "${TINY.dataset}"\nsteps: 4\nbatch: 50\nbackend: webgpu\nstats_interval: 2\neval_modes: true` }] }));
    const nb = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    await vscode.window.showNotebookDocument(nb);
    const before = new Set(api.training.all());
    assert.equal(await api.controller.execute([nb.cellAt(0)], nb), true);
    const run = api.training.all().find((x) => !before.has(x))!;
    assert.equal(run.backend, 'webgpu');
    assert.equal(run.done?.reason, 'completed', run.done?.message);
    const text = nb.cellAt(0).outputs.flatMap((o) => o.items).find((i) => i.mime === 'text/plain')!;
    assert.match(new TextDecoder().decode(text.data), /steps\/s on webgpu \(/);
    // BN eval vs train mode measured on the device at each stats step.
    const rich = nb.cellAt(0).outputs.flatMap((o) => o.items).find((i) => i.mime === RUN_OUTPUT_MIME)!;
    const parsed = parseNotebookOutput(JSON.parse(new TextDecoder().decode(rich.data)));
    assert.ok(parsed.ok && parsed.value.runs[0].modesCurve?.eval.step.join() === '2,4', JSON.stringify(parsed.ok && parsed.value.runs[0].modesCurve));
  });

  // A notebook left in focus would make the next suite's Train run its cell.
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));
});
