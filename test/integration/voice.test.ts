// One voice: the output channel and the notifications say each event once, in the words `bnlab` prints for it
// (run start and end, ONNX export, validation), compared line by line with the CLI's output for the same work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TrainOutcome } from '../../src/extension/commands';
import type { BnLabApi } from '../../src/extension/extension';
import { TINY, withSettings } from './settings';

const extensionId = 'bnlab.bn-lab';

describe('BN Lab speaks with one voice: output channel, notifications and CLI', function () {
  this.timeout(180_000);
  let api: BnLabApi;
  let cli: (...args: string[]) => string[];
  const work = mkdtempSync(join(tmpdir(), 'bnlab-voice-'));
  before(async () => {
    const ext = vscode.extensions.getExtension<BnLabApi>(extensionId)!;
    api = await ext.activate();
    cli = (...args) => execFileSync(process.execPath, [join(ext.extensionPath, 'dist', 'cli.js'), ...args], { encoding: 'utf8' }).trimEnd().split('\n');
  });
  /** What BN Lab said while `fn` ran. */
  async function saying<T>(fn: () => Thenable<T>): Promise<{ result: T; log: string[]; notes: string[] }> {
    const from = api.said.length;
    const result = await fn();
    const said = api.said.slice(from);
    return { result, log: said.filter((s) => s.to === 'log').map((s) => s.text), notes: said.filter((s) => s.to === 'notification').map((s) => s.text) };
  }
  const noRepeats = (lines: string[]) => assert.equal(new Set(lines).size, lines.length, `a line said twice: ${lines.join(' | ')}`);

  let checkpoint: string;
  let onnx: string;

  it('a run: one line when it starts and one when it ends, in the words of `bnlab train`', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { result, log } = await saying(() => withSettings(TINY, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.train')));
    assert.ok(result.status === 'done' && result.runs[0].reason === 'completed', JSON.stringify(result));
    const run = api.training.get(result.runs[0].runId)!;
    checkpoint = run.checkpoint!;
    const lines = log.filter((l) => l.startsWith(`run #${run.seq} `));
    assert.equal(lines.length, 2, lines.join(' | '));
    const out = join(work, 'cli-run');
    const printed = cli('train', '--model', TINY.model, '--data', TINY.dataset, '--batch', String(TINY.batchSize), '--epochs', '1', '--out', out);
    const tag = `run #${run.seq} "${run.label}": `;
    assert.ok(lines[0].startsWith(`${tag}${printed[0]} on `), `extension: ${lines[0]}\ncli: ${printed[0]}`);
    assert.equal(lines[1], `${tag}${printed.at(-1)!.replace(out, checkpoint)}`);
  });

  it('ONNX export: the output channel holds the lines `bnlab export` prints, the notification its last one', async () => {
    onnx = join(work, 'ext.onnx');
    const { log, notes } = await saying(() => vscode.commands.executeCommand('bnLab.exportOnnx', { checkpointDir: checkpoint, outFile: onnx }));
    const printed = cli('export', '--checkpoint', checkpoint, '--out', join(work, 'cli.onnx')).map((l) => l.replace(join(work, 'cli.onnx'), onnx));
    assert.deepEqual(log, printed);
    assert.deepEqual(notes, [`BN Lab: ${printed.at(-1)}`]);
    assert.match(notes[0], /^BN Lab: wrote .*ext\.onnx \(folded, opset \d+, IR \d+\)$/);
    noRepeats(log);
  });

  it('ONNX validation: the lines `bnlab validate` prints, the notification its result', async () => {
    const { log, notes } = await saying(() => vscode.commands.executeCommand('bnLab.validateOnnx', { onnxFile: onnx, checkpointDir: checkpoint }));
    const printed = cli('validate', onnx, '--checkpoint', checkpoint);
    assert.deepEqual(log, printed);
    assert.deepEqual(notes, [`BN Lab: ${printed.at(-1)}`]);
    assert.match(notes[0], / — PASS \(atol /);
  });

  it('every output channel entry is one line, so each line of a report gets its timestamp', () => {
    const multi = api.said.filter((s) => s.to === 'log' && s.text.includes('\n')).map((s) => s.text);
    assert.deepEqual(multi, [], 'entries holding several lines (only the first gets a timestamp)');
    assert.ok(api.said.filter((s) => s.to === 'log').length >= 10, 'the tests above logged their reports');
  });

  it('a failed run: the notification says what its output channel line says', async () => {
    // Batch 1: the BN after linear(16) sees one value per channel, which it cannot normalize in training.
    const { result, log, notes } = await saying(() => withSettings({ ...TINY, batchSize: 1 }, () => vscode.commands.executeCommand<TrainOutcome>('bnLab.train')));
    assert.ok(result.status === 'done' && result.runs[0].reason === 'failed', JSON.stringify(result));
    const run = api.training.get(result.runs[0].runId)!;
    const lines = log.filter((l) => l.startsWith(`run #${run.seq} `));
    assert.equal(lines.length, 1, lines.join(' | '));
    assert.match(lines[0], /: training failed: batch 1 gives every batch 1 sample, .* cannot normalize in training; .*; no checkpoint was written$/);
    assert.deepEqual(notes, [`BN Lab: ${lines[0]}`]);
  });
});
