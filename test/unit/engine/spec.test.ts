import assert from 'node:assert/strict';
import { buildModel, parseSpec, PRESETS, UserError } from '../../../src/engine';

const img = { sampleShape: [1, 28, 28], numClasses: 10 };
const throwsUser = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof UserError && re.test(e.message), `expected UserError matching ${re}`);

describe('model spec', () => {
  it('expands the presets to the blog ConvNet, with and without ReLUs', () => {
    assert.equal(buildModel('seed', img).describe(), 'conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)');
    assert.equal(buildModel('seed-exact', img).describe(), 'conv(32,5,pad=2) bn maxpool(2) flatten linear(128) bn linear(10)');
    assert.deepEqual(Object.keys(PRESETS).sort(), ['seed', 'seed-exact']);
  });

  it('infers shapes from the sample shape: 28→28→14, linear in = 32·14·14 = 6272', () => {
    const m = buildModel('seed', img);
    assert.deepEqual(m.shapes.map((s) => [...s]), [[1, 28, 28], [32, 28, 28], [32, 28, 28], [32, 28, 28], [32, 14, 14], [6272], [128], [128], [128], [10]]);
  });

  it('parses positional args, key=value, bare flags, none, and spaces inside parentheses', () => {
    const [conv, bn] = parseSpec('conv(8, 3, stride=2, pad=1, groups=1, bias=false)  bn(momentum=none, eps=1e-3, frozen)');
    assert.deepEqual(conv.args, [8, 3]);
    assert.deepEqual(conv.kwargs, { stride: 2, pad: 1, groups: 1, bias: false });
    assert.deepEqual(bn.kwargs, { momentum: null, eps: 1e-3, frozen: true });
    assert.equal(bn.position, 2);
  });

  it('round-trips options through describe() (the canonical spec rebuilds the same layers)', () => {
    const spec = 'conv(8,3,stride=2,pad=1,dilation=2,groups=2,bias=false) bn(momentum=none,eps=0.001,affine=false,track=false,frozen) leakyrelu(slope=0.2) ' +
      'avgpool(2,stride=1) dropout(0.25) groupnorm(2) instancenorm(affine=true) layernorm(eps=0.0001) flatten linear(5,bias=false)';
    const m = buildModel(spec, { sampleShape: [2, 12, 12] });
    assert.equal(m.describe(), spec);
    assert.equal(buildModel(m.describe(), { sampleShape: [2, 12, 12] }).describe(), spec);
  });

  it('maps the Keras BN convention onto PyTorch momentum 1−m and eps 1e-3', () => {
    const m = buildModel('bn(keras) bn(keras,momentum=0.9,eps=0.01)', { sampleShape: [4] });
    const [a, b] = m.layers as unknown as { opts: { momentum: number; eps: number } }[];
    assert.ok(Math.abs(a.opts.momentum - 0.01) < 1e-12);
    assert.equal(a.opts.eps, 1e-3);
    assert.ok(Math.abs(b.opts.momentum - 0.1) < 1e-12);
    assert.equal(b.opts.eps, 0.01);
    assert.equal(m.describe(), 'bn(keras) bn(keras,momentum=0.9,eps=0.01)');
  });

  it('applies bn defaults (CLI flags) unless the layer overrides them, and --no-bn drops bn layers', () => {
    const m = buildModel('flatten bn bn(momentum=0.5) linear', { sampleShape: [3], numClasses: 2, bn: { momentum: null, affine: false } });
    assert.equal(m.describe(), 'flatten bn(momentum=none,affine=false) bn(momentum=0.5,affine=false) linear(2)');
    const k = buildModel('bn(keras) bn(keras,momentum=0.9)', { sampleShape: [4], bn: { momentum: 0.25, eps: 0.1 } });
    assert.equal(k.describe(), 'bn(keras,momentum=0.75,eps=0.1) bn(keras,momentum=0.9,eps=0.1)', 'CLI bn defaults reach keras layers (PyTorch convention)');
    assert.equal((k.layers[0] as unknown as { opts: { momentum: number } }).opts.momentum, 0.25);
    throwsUser(() => buildModel('bn(keras)', { sampleShape: [4], bn: { momentum: null } }), /layer 1 "bn\(keras\)": the Keras convention has no cumulative average/);
    assert.equal(buildModel('seed', { ...img, noBn: true }).describe(), 'conv(32,5,pad=2) relu maxpool(2) flatten linear(128) relu linear(10)');
  });

  it('names the layer, its position and text in errors', () => {
    throwsUser(() => buildModel('conv(32,5) foo relu', img), /layer 2 "foo": unknown layer "foo"/);
    throwsUser(() => buildModel('conv(32,x)', img), /layer 1 "conv\(32,x\)": bad value "x"/);
    throwsUser(() => buildModel('conv(32,5,foo=1)', img), /layer 1 "conv\(32,5,foo=1\)": unknown argument foo/);
    throwsUser(() => buildModel('maxpool(2,3,4)', img), /layer 1 "maxpool\(2,3,4\)": takes at most 1 positional/);
    throwsUser(() => buildModel('bn(momentum=2)', img), /layer 1 "bn\(momentum=2\)": momentum must be in \[0, 1\] or none, got 2/);
    throwsUser(() => buildModel('dropout(1)', img), /layer 1 "dropout\(1\)": p must be in \[0, 1\)/);
    throwsUser(() => buildModel('bn(momentum=0.1,momentum=0.2)', img), /layer 1 "bn\(momentum=0\.1,momentum=0\.2\)": momentum is given twice/);
    throwsUser(() => buildModel('conv(8,3,bias=false,bias)', img), /layer 1 .*: bias is given twice/);
    throwsUser(() => buildModel('conv(32', img), /unbalanced "\("/);
    throwsUser(() => buildModel('', img), /empty/);
  });

  it('reports shape mismatches with both shapes', () => {
    throwsUser(() => buildModel('conv(32,5) bn relu linear(10)', img), /layer 4 "linear\(10\)": expects a flat input \[features\].*got input shape \[32, 24, 24\]/);
    throwsUser(() => buildModel('flatten conv(4,3)', img), /layer 2 "conv\(4,3\)": expects an image input \[channels, height, width\], got input shape \[784\]/);
    throwsUser(() => buildModel('conv(4,29)', img), /layer 1 "conv\(4,29\)": .*got input shape \[1, 28, 28\]/);
    throwsUser(() => buildModel('conv(4,3,groups=2)', img), /layer 1 .*groups=2 must divide/);
    throwsUser(() => buildModel('flatten linear(7)', img), /outputs \[7\] per sample but the data has 10 classes/);
    throwsUser(() => buildModel('flatten linear', { sampleShape: [4] }), /layer 2 "linear": give the number of outputs/);
  });
});
