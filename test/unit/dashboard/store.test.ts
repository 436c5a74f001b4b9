import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { TrainEvent } from '../../../src/engine/events';
import { applyEvents, channelGrid, emptyState, finishedGroup, histogramGrid, MAX_RUNS, onXAxis, pinRun, pushPoint, pushSnapshot, renameRun, resolveXAxis, restoreState, runName, type Series } from '../../../webview/dashboard/store';

const start = (runId: string): TrainEvent => ({ type: 'start', runId, spec: 'seed', dataset: 'digits', backend: 'cpu', totalSteps: 10, stepsPerEpoch: 10, batchSize: 50, config: {} });
const step = (s: number, loss = 1): TrainEvent => ({ type: 'step', step: s, epoch: 0, loss, accuracy: 0.5, lr: 0.1, samplesPerSec: 100 });
const hist = { min: 0, max: 1, counts: [1, 2] };

describe('dashboard store', () => {
  it('builds a run from events and derives steps/s from samples/s and batch size', () => {
    const st = emptyState();
    applyEvents(st, 'r', 'BN', [start('r'), step(1, 2), step(2, 1.5), { type: 'eval', step: 2, epoch: 0, split: 'test', loss: 1.4, accuracy: 0.6 }]);
    const run = st.runs[0];
    assert.deepEqual([run.label, run.backend, run.step, run.stepsPerSec, run.status], ['BN', 'cpu', 2, 2, 'running']);
    assert.deepEqual(run.trainLoss, { step: [1, 2], value: [2, 1.5] });
    assert.deepEqual(run.testAcc, { step: [2], value: [0.6] });
    assert.equal(st.selectedRun, 'r');
  });

  it('shows a starting run in the per-layer panel unless the selected one is still running', () => {
    const st = emptyState();
    applyEvents(st, 'a', 'a', [start('a')]);
    applyEvents(st, 'b', 'b', [start('b')]);
    assert.equal(st.selectedRun, 'a', 'a is still running');
    applyEvents(st, 'a', 'a', [{ type: 'done', reason: 'completed', step: 0 }]);
    applyEvents(st, 'c', 'c', [start('c')]);
    assert.equal(st.selectedRun, 'c');
  });

  it('keeps a finished run with BN layers in the per-layer panel when a run without BN starts', () => {
    const st = emptyState();
    const bnStats = { layer: 1, channels: 1, batchMean: [0], batchVar: [1], runningMean: [0], runningVar: [1], gamma: [1], beta: [0], histBefore: hist, histAfter: hist };
    applyEvents(st, 'bn', 'with BN', [{ ...start('bn'), spec: 'conv(2,3) bn relu flatten linear(10)' } as TrainEvent, { type: 'stats', step: 1, epoch: 1, bn: [bnStats], gradNorms: [] }, { type: 'done', reason: 'completed', step: 1 }]);
    applyEvents(st, 'plain', 'without BN', [{ ...start('plain'), spec: 'conv(2,3) relu flatten linear(10)' } as TrainEvent]);
    assert.equal(st.selectedRun, 'bn');
    applyEvents(st, 'bn2', 'BN again', [{ ...start('bn2'), spec: 'conv(2,3) bn(momentum=none) relu flatten linear(10)' } as TrainEvent]);
    assert.equal(st.selectedRun, 'bn2', 'a starting run with BN is followed');
  });

  it('ignores replayed events, so the host may resend history', () => {
    const st = emptyState();
    const events = [start('r'), step(1), step(2), { type: 'stats', step: 2, epoch: 0, bn: [], gradNorms: [{ layer: 0, kind: 'conv', norm: 1 }] } as TrainEvent];
    applyEvents(st, 'r', 'a', events);
    applyEvents(st, 'r', 'a', events);
    assert.equal(st.runs.length, 1);
    assert.deepEqual(st.runs[0].trainLoss.step, [1, 2]);
    assert.deepEqual(st.runs[0].gradNorms['0:conv'].step, [2]);
  });

  it('keeps the latest BN statistics and a histogram timeline per layer, and records done', () => {
    const st = emptyState();
    const bn = { layer: 1, channels: 2, batchMean: [0, 1], batchVar: [1, 1], runningMean: [0, 0], runningVar: [1, 1], gamma: null, beta: null, histBefore: hist, histAfter: hist };
    applyEvents(st, 'r', 'a', [start('r'), { type: 'stats', step: 1, epoch: 0, bn: [bn], gradNorms: [] }, { type: 'stats', step: 5, epoch: 0, bn: [{ ...bn, batchMean: [3, 4] }], gradNorms: [] }]);
    applyEvents(st, 'r', 'a', [{ type: 'done', reason: 'cancelled', step: 5, checkpoint: '/ck' }]);
    const run = st.runs[0];
    assert.deepEqual(run.bn[0].batchMean, [3, 4]);
    assert.deepEqual(run.hist['1'].before.map((h) => h.step), [1, 5]);
    assert.deepEqual([run.status, run.checkpoint], ['cancelled', '/ck']);
  });

  it('bounds a series: halves its older half, keeps the newest points and the mean of the merged ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 8, max: 200 }), (n, max) => {
        const s: Series = { step: [], value: [] };
        for (let i = 1; i <= n; i++) pushPoint(s, i, i, max);
        assert.ok(s.step.length <= max);
        assert.equal(s.step[s.step.length - 1], n);
        assert.equal(s.value[s.value.length - 1], n);
        for (let i = 1; i < s.step.length; i++) assert.ok(s.step[i] > s.step[i - 1], 'steps stay increasing');
      }),
    );
    const s: Series = { step: [], value: [] };
    for (let i = 1; i <= 5; i++) pushPoint(s, i, i * 10, 4);
    assert.deepEqual(s, { step: [2, 3, 4, 5], value: [15, 30, 40, 50] });
  });

  it('bounds histogram timelines and the number of runs', () => {
    let list: Array<{ step: number; min: number; max: number; counts: number[] }> = [];
    for (let i = 0; i < 1000; i++) list = pushSnapshot(list, { step: i, ...hist }, 80);
    assert.ok(list.length <= 80);
    assert.equal(list[list.length - 1].step, 999);
    const st = emptyState();
    for (let i = 0; i < MAX_RUNS + 3; i++) applyEvents(st, `r${i}`, `${i}`, [start(`r${i}`), { type: 'done', reason: 'completed', step: 0 }]);
    assert.equal(st.runs.length, MAX_RUNS);
    assert.equal(st.runs[MAX_RUNS - 1].runId, `r${MAX_RUNS + 2}`);
  });

  it('forgets only unpinned finished runs to make room, and records which', () => {
    const st = emptyState();
    const done = { type: 'done', reason: 'completed', step: 0 } as TrainEvent;
    applyEvents(st, 'keep', 'keep', [start('keep'), done], { seq: 1 });
    pinRun(st, 'keep', true);
    for (let i = 2; i <= MAX_RUNS + 2; i++) applyEvents(st, `r${i}`, 'seed', [start(`r${i}`), done], { seq: i });
    assert.equal(st.runs.length, MAX_RUNS);
    assert.equal(st.runs[0].runId, 'keep', 'the pinned run stays');
    assert.deepEqual(st.evicted, ['seed · #2', 'seed · #3']);
    // Nothing unpinned and finished left: the dashboard keeps more rather than dropping a pinned run.
    for (const r of st.runs) pinRun(st, r.runId, true);
    applyEvents(st, 'extra', 'seed', [start('extra')], { seq: 99 });
    assert.equal(st.runs.length, MAX_RUNS + 1);
  });

  it('names and colours a run by its session number (as the notebook does); a rename replaces the name', () => {
    const st = emptyState();
    applyEvents(st, 'a', 'seed · batch 64', [start('a')], { seq: 3 });
    applyEvents(st, 'b', 'seed', [start('b')]);
    assert.deepEqual(st.runs.map((r) => [runName(r), r.color]), [['seed · batch 64 · #3', 2], ['seed', 3]]);
    renameRun(st, 'a', '  small batch ');
    assert.equal(runName(st.runs[0]), 'small batch');
    renameRun(st, 'a', '');
    assert.equal(runName(st.runs[0]), 'seed · batch 64 · #3');
  });

  it('shows a sweep as its own group and summarizes it once all its runs finished', () => {
    const st = emptyState();
    const done = { type: 'done', reason: 'completed', step: 0 } as TrainEvent;
    applyEvents(st, 'old', 'seed', [start('old'), done], { seq: 1 });
    const g = 'comparing Batch size · from #2';
    applyEvents(st, 'b16', 'batch 16', [start('b16'), done], { seq: 2, group: g });
    applyEvents(st, 'b64', 'batch 64', [start('b64')], { seq: 3, group: g });
    assert.deepEqual(st.runs.map((r) => r.visible), [false, true, true], 'the earlier run is hidden, not forgotten');
    assert.deepEqual(finishedGroup(st), [], 'not while a run of the sweep trains');
    applyEvents(st, 'b64', 'batch 64', [done]);
    assert.deepEqual(finishedGroup(st).map((r) => r.runId), ['b16', 'b64']);
  });

  it('keeps what a sweep\'s summary gives: the run\'s time and its latest BN eval vs train mode accuracies', () => {
    const st = emptyState();
    const modes = (s: number, ev: number, train: number): TrainEvent => ({ type: 'modes', step: s, epoch: 0, samples: 500, eval: ev, train });
    applyEvents(st, 'm', 'momentum 0.01', [start('m'), step(1), modes(1, 0.3, 0.8), step(2), modes(2, 0.6, 0.85), { type: 'done', reason: 'completed', step: 2, seconds: 12.5 }]);
    assert.deepEqual([st.runs[0].modes, st.runs[0].seconds], [{ eval: 0.6, train: 0.85 }, 12.5]);
  });

  it('plots runs of different batch sizes by epochs (auto) or samples seen', () => {
    const st = emptyState();
    applyEvents(st, 'a', 'batch 16', [{ ...start('a'), batchSize: 16, stepsPerEpoch: 500 } as TrainEvent, step(250)]);
    applyEvents(st, 'b', 'batch 256', [{ ...start('b'), batchSize: 256, stepsPerEpoch: 32 } as TrainEvent, step(16)]);
    assert.equal(resolveXAxis('auto', st.runs), 'epoch');
    assert.equal(resolveXAxis(undefined, st.runs.slice(0, 1)), 'step');
    assert.equal(resolveXAxis('samples', st.runs), 'samples');
    assert.deepEqual(st.runs.map((r) => onXAxis(r.trainLoss, r, 'epoch').step), [[0.5], [0.5]], 'half an epoch each');
    assert.deepEqual(st.runs.map((r) => onXAxis(r.trainLoss, r, 'samples').step), [[4000], [4096]]);
  });

  it('re-bins histograms onto one grid, each column scaled to its peak', () => {
    const g = histogramGrid([{ step: 1, min: 0, max: 2, counts: [4, 2] }, { step: 2, min: 2, max: 4, counts: [0, 8] }], 4);
    assert.deepEqual([g.min, g.max], [0, 4]);
    // cells[bin * n + x]: column 0 has 4 in bin 0 and 2 in bin 1; column 1 has 8 in bin 3.
    assert.deepEqual(Array.from(g.cells), [1, 0, 0.5, 0, 0, 0, 0, 1]);
  });

  it('keeps batch renorm\'s r and d per channel over time, for renorm layers only, and puts them on a channel × step grid scaled to their range', () => {
    const st = emptyState();
    const bn = { layer: 1, channels: 2, batchMean: [0, 1], batchVar: [1, 1], runningMean: [0, 0], runningVar: [1, 1], gamma: null, beta: null, histBefore: hist, histAfter: hist };
    applyEvents(st, 'r', 'a', [start('r'), ...[1, 5].map((step): TrainEvent => ({ type: 'stats', step, epoch: 0, bn: [{ ...bn, renorm: { r: [1, step], d: [0, -step] } }, { ...bn, layer: 4 }], gradNorms: [] }))]);
    assert.deepEqual(st.runs[0].renorm, { 1: [{ step: 1, r: [1, 1], d: [0, -1] }, { step: 5, r: [1, 5], d: [0, -5] }] });
    const g = channelGrid(st.runs[0].renorm![1].map((s) => ({ values: s.r })));
    // cells[channel * n + x]: channel 0 stays at r = 1 (the minimum), channel 1 goes from 1 to 5 (the maximum).
    assert.deepEqual([g.min, g.max, g.channels, Array.from(g.cells)], [1, 5, 2, [0, 0, 0, 1]]);
  });

  it('restores only a state of its own version', () => {
    assert.deepEqual(restoreState(undefined), emptyState());
    assert.deepEqual(restoreState({ version: 0, runs: 'x' }), emptyState());
    const st = emptyState();
    applyEvents(st, 'r', 'a', [start('r')]);
    assert.equal(restoreState(JSON.parse(JSON.stringify(st))).runs.length, 1);
  });
});
