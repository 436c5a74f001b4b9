import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BnLabApi } from '../../src/extension/extension';
import type { Notification } from '../../src/protocol/messages';
import { until } from './until';

const extensionId = 'bnlab.bn-lab';
/** A run folder written by an exported train.py under PyTorch 1.13 (bundled into dist-test/integration/). */
const FIXTURE = join(__dirname, '..', '..', 'test', 'fixtures', 'pytorch-run');

describe('BN Lab runs trained elsewhere (PyTorch)', function () {
  this.timeout(120_000);
  let api: BnLabApi;
  const work = mkdtempSync(join(tmpdir(), 'bnlab-external-'));
  before(async () => {
    api = await vscode.extensions.getExtension<BnLabApi>(extensionId)!.activate();
  });

  it('Open Run… shows a PyTorch run folder in the dashboard, labelled external, and Export ONNX works on it', async () => {
    const dir = join(work, 'pytorch-run');
    cpSync(FIXTURE, dir, { recursive: true });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').length;
    await vscode.commands.executeCommand('bnLab.openDashboard');
    await api.dashboard.whenSettled(); // listening already: the run must arrive live, not in a reload's replay
    // What the host delivers to a listening dashboard webview.
    const delivered: Notification[] = [];
    const post = api.dashboard.post.bind(api.dashboard);
    api.dashboard.post = async (m, to) => {
      const ok = await post(m, to);
      if (ok) delivered.push(m);
      return ok;
    };
    try {
      const opened = await vscode.commands.executeCommand<{ runId: string; label: string; events: number; checkpoint?: string }>('bnLab.openRun', { dir });
      assert.equal(opened.label, 'external · pytorch-run');
      assert.equal(opened.events, lines);
      assert.equal(opened.checkpoint, dir);
      const got = await until('the run in the dashboard', () => {
        const events = delivered.flatMap((m) => (m.method === 'run/events' && m.params.runId === opened.runId ? m.params.events : []));
        return events.length === lines && events;
      });
      assert.equal(got.filter((e) => e.type === 'stats' && e.bn.length === 2).length, 4, 'its BN statistics');
      assert.equal(api.training.get(opened.runId)?.running, false);
    } finally {
      api.dashboard.post = post;
    }
    const onnx = await vscode.commands.executeCommand<{ ok: boolean; text: string }>('bnLab.exportOnnx', { checkpointDir: dir, outFile: join(work, 'external.onnx') });
    assert.ok(onnx.ok, onnx.text);
    const script = await vscode.commands.executeCommand<{ ok: boolean; text: string }>('bnLab.exportPytorch', { checkpointDir: dir, outDir: join(work, 'again') });
    assert.ok(script.ok && existsSync(join(work, 'again', 'train.py')) && existsSync(join(work, 'again', 'model.safetensors')), script.text);
  });

  it('Open Run… names file:line of a bad line in metrics.jsonl and opens nothing', async () => {
    const dir = join(work, 'bad-run');
    cpSync(FIXTURE, dir, { recursive: true });
    const file = join(dir, 'metrics.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[4] = '{"type": "step", "step": "five"}';
    writeFileSync(file, lines.join('\n'));
    const before = api.training.all().length;
    const r = await vscode.commands.executeCommand<{ status: string; message: string }>('bnLab.openRun', { dir });
    assert.equal(r.status, 'error');
    assert.match(r.message, /metrics\.jsonl:5: not a BN Lab training event \(step: /);
    assert.equal(api.training.all().length, before);
  });
});
