import { strict as assert } from 'node:assert';
import { defaultBn } from '../../../src/lab/config';
import { deepChecks } from '../../../src/lab/deep-checks';
import { formatDiagnostics, parseLabCell, type Diagnostic } from '../../../src/lab/lab-language';

const only = (text: string) => {
  const r = parseLabCell(text, deepChecks);
  assert.equal(r.cell, undefined, 'expected the cell to be rejected');
  return r.diagnostics;
};
const pick = (d: Diagnostic) => ({ line: d.line, column: d.column, key: d.key });

describe('lab cell language', () => {
  it('parses an experiment with a comparison into one config per run', () => {
    const r = parseLabCell(
      ['name: with BN', 'model: seed', 'steps: 50', 'batch: 32', 'optimizer: sgd', 'sgd_momentum: 0.9', 'lr: 0.05', 'seed: 7',
        'bn: { momentum: none, eps: 1e-3, affine: false }', 'compare:', '  - { label: no BN, bn: off }', '  - label: keras', '    bn: { convention: keras }', '    batch: 64'].join('\n'),
      deepChecks,
    );
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.cell?.kind === 'experiment');
    const [a, b, c] = r.cell.runs;
    assert.deepEqual([a.label, b.label, c.label], ['with BN', 'no BN', 'keras']);
    assert.deepEqual(
      { steps: a.config.steps, epochs: a.config.epochs, batch: a.config.batchSize, opt: a.config.optimizer, m: a.config.sgdMomentum, lr: a.config.lr, seed: a.config.seed },
      { steps: 50, epochs: null, batch: 32, opt: 'sgd', m: 0.9, lr: 0.05, seed: 7 },
    );
    assert.deepEqual(a.config.bn, { momentum: null, eps: 1e-3, affine: false, trackRunningStats: true, convention: 'pytorch' });
    assert.equal(b.config.bn, null);
    assert.equal(b.config.steps, 50, 'a variant inherits what it does not change');
    // A convention switch brings its own momentum/eps defaults but keeps affine.
    assert.deepEqual(c.config.bn, { momentum: 0.99, eps: 1e-3, affine: false, trackRunningStats: true, convention: 'keras' });
    assert.equal(c.config.batchSize, 64);
  });

  it('fills defaults for an almost empty cell', () => {
    const r = parseLabCell('model: seed');
    assert.ok(r.cell?.kind === 'experiment');
    const c = r.cell.runs[0].config;
    assert.deepEqual([c.data, c.epochs, c.batchSize, c.optimizer, c.lr], ['digits', 1, 100, 'adam', 0.001]);
    assert.deepEqual(c.bn, defaultBn());
  });

  it('points at the line, column and key of every error', () => {
    const d = only(['model: seed', 'epochz: 2', 'batch: 0', 'lr: fast', 'bn:', '  momentum: 2', '  foo: 1', 'compare:', '  - { label: x, steps: 10, epochs: 2 }'].join('\n'));
    assert.deepEqual(d.map(pick), [
      { line: 2, column: 1, key: 'epochz' },
      { line: 3, column: 8, key: 'batch' },
      { line: 4, column: 5, key: 'lr' },
      { line: 6, column: 13, key: 'bn.momentum' },
      { line: 7, column: 3, key: 'bn.foo' },
      { line: 9, column: 17, key: 'compare[0].steps' },
    ]);
    assert.match(d[0].message, /unknown key "epochz" \(did you mean "epochs"\?\)/);
    assert.match(d[1].message, /^batch: 0 is out of range \(1…65536\)$/);
    assert.match(d[2].message, /^lr: expected a number, got "fast"$/);
    assert.match(d[3].message, /^bn\.momentum: 2 is out of range \(0…1\)$/);
  });

  it('reports wrong types, bad enums and a cross-field conflict', () => {
    const d = only(['model: seed', 'epochs: 1.5', 'optimizer: rmsprop', 'eval_modes: maybe', 'bn: { convention: keras, momentum: none }'].join('\n'));
    assert.deepEqual(d.map((x) => x.key), ['epochs', 'optimizer', 'eval_modes', 'bn.momentum']);
    assert.match(d[0].message, /expected an integer, got 1.5/);
    assert.match(d[1].message, /expected one of adam, sgd, adamw, got "rmsprop"/);
    assert.match(d[3].message, /only in the pytorch convention/);
    assert.equal(d[3].line, 5);
  });

  it('reports YAML syntax errors, duplicate keys, empty cells and lists with positions', () => {
    assert.equal(only('model: [seed').length > 0, true);
    const dup = only('model: seed\nmodel: seed');
    assert.equal(dup[0].line, 2);
    assert.match(only('')[0].message, /empty lab cell/);
    assert.match(only('- model: seed')[0].message, /is a mapping/);
  });

  it('checks model specs and data sources with the engine and data parsers', () => {
    const d = only('model: conv(8,3) bn(momentum=3) relu linear\ndata: \"mnist:\"\ncompare:\n  - { label: b, model: "conv(8" }');
    assert.deepEqual(d.map(pick), [
      { line: 1, column: 8, key: 'model' },
      { line: 4, column: 24, key: 'model' },
      { line: 2, column: 7, key: 'data' },
    ]);
    assert.match(d[0].message, /bn\(momentum=3\).*momentum must be in \[0, 1\]/);
    assert.match(d[2].message, /'mnist' needs a folder/);
  });

  it('rejects duplicate run labels and keys that do not belong in a variant', () => {
    const d = only('name: a\ncompare:\n  - { label: a, lr: 0.1 }\n  - { name: c }');
    assert.deepEqual(d.map((x) => x.key), ['compare[1].name', 'compare[0].label']);
  });

  it('warns (without rejecting) about batch 1 with BN', () => {
    const r = parseLabCell('batch: 1');
    assert.ok(r.cell);
    assert.equal(r.diagnostics[0].severity, 'warning');
    assert.equal(r.diagnostics[0].key, 'batch');
  });

  it('parses export cells and rejects mixing export with an experiment', () => {
    const r = parseLabCell('export:\n  run: seed with BN\n  out: m.onnx');
    assert.deepEqual(r.cell, { kind: 'export', export: { run: 'seed with BN', out: 'm.onnx', validate: true } });
    assert.deepEqual(parseLabCell('export: true').cell, { kind: 'export', export: { run: null, out: null, validate: true } });
    const d = only('export: { out: m.txt, format: x }\nmodel: seed');
    assert.deepEqual(d.map((x) => x.key), ['export.out', 'export.format', 'model']);
  });

  it('parses recalibrate cells (BN recalibration of a trained run) and names bad keys', () => {
    assert.deepEqual(parseLabCell('recalibrate:\n  run: small batch\n  batches: 50\n  batch: 64').cell, { kind: 'recalibrate', recalibrate: { run: 'small batch', batches: 50, batchSize: 64 } });
    assert.deepEqual(parseLabCell('recalibrate: true').cell, { kind: 'recalibrate', recalibrate: { run: null, batches: 20, batchSize: null } });
    const d = only('recalibrate: { batches: 0, batch: 1, momentum: 0.1 }\nmodel: seed');
    assert.deepEqual(d.map((x) => x.message), [
      'recalibrate.batches: 0 is out of range (1…100000)',
      'recalibrate.batch: 1 is out of range (2…65536)',
      'recalibrate.momentum: unknown key "momentum"; expected one of run, batches, batch',
      'model: a recalibrate cell holds only `recalibrate`; move "model" to an experiment cell',
    ]);
  });

  it('expands a sweep into each run at each batch size, on the same number of training samples', () => {
    const r = parseLabCell('name: BN\nsteps: 7\ncompare:\n  - { label: GN, bn: off }\nsweep: { batch: [2, 8], samples: 100 }');
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.cell?.kind === 'experiment');
    assert.deepEqual(r.cell.runs.map((x) => [x.label, x.config.batchSize, x.config.steps, x.config.epochs, !!x.config.bn, x.sweep]), [
      ['BN · batch 2', 2, 50, null, true, { series: 'BN', batch: 2 }],
      ['BN · batch 8', 8, 13, null, true, { series: 'BN', batch: 8 }],
      ['GN · batch 2', 2, 50, null, false, { series: 'GN', batch: 2 }],
      ['GN · batch 8', 8, 13, null, false, { series: 'GN', batch: 8 }],
    ]);
    const keep = parseLabCell('steps: 7\nsweep: { batch: [4] }').cell;
    assert.ok(keep?.kind === 'experiment' && keep.runs[0].config.steps === 7);
    assert.deepEqual(only('sweep: { batch: [2, 0, 2], samples: x, size: 1 }').map((x) => x.message), [
      'sweep.batch: 0 is out of range (1…65536)',
      'sweep.batch: batch 2 is listed twice',
      'sweep.samples: expected an integer, got "x"',
      'sweep.size: unknown key "size"; expected one of batch, samples',
    ]);
    assert.deepEqual(only('sweep: { samples: 10 }').map((x) => x.message), ['sweep: sweep needs batch: a list of batch sizes, e.g. [2, 4, 8, 16, 32]']);
    assert.deepEqual(only('bn: { ghost: 4 }\nsweep: { batch: [6] }').map((x) => x.key), ['bn.ghost']);
  });

  it('turns the loss landscape on per run, with the default or the given step sizes, and names the line of a bad one', () => {
    const r = parseLabCell('steps: 7\nlandscape: true\ncompare:\n  - { label: no BN, bn: off, landscape: { step_sizes: [0.5, 2] } }\n  - { label: off, landscape: false }');
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.cell?.kind === 'experiment');
    assert.deepEqual(r.cell.runs.map((x) => x.config.landscape), [[0.05, 0.1, 0.2, 0.4], [0.5, 2], undefined]);
    const bad = only('steps: 7\nlandscape: { step_sizes: [0.1, -1, 0.1, x], steps: 3 }\ncompare:\n  - { label: b, landscape: yes please }');
    assert.deepEqual(bad.map((x) => [x.line, x.message]), [
      [2, 'landscape.step_sizes: -1 is out of range (above 0…100)'],
      [2, 'landscape.step_sizes: step size 0.1 is listed twice'],
      [2, 'landscape.step_sizes: expected a number, got "x"'],
      [2, 'landscape.steps: unknown key "steps"; expected one of step_sizes'],
      [4, 'compare[0].landscape: landscape is true, false, or a mapping { step_sizes: [0.05, 0.1, 0.2, 0.4] }'],
    ]);
    assert.deepEqual(only('steps: 7\nlandscape: { step_sizes: [] }').map((x) => x.message), ['landscape.step_sizes: step_sizes is a list of step sizes along the gradient, e.g. [0.05, 0.1, 0.2, 0.4]']);
  });

  it('formats diagnostics one per line', () => {
    assert.equal(formatDiagnostics(only('lr: -1')), 'error at line 1, column 5: lr: -1 is out of range (0…10)');
  });
});
