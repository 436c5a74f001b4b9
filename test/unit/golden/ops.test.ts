import assert from 'node:assert/strict';
import * as ops from '../../../src/engine/ops';
import type { Conv2DAttrs, Pool2DAttrs } from '../../../src/engine/kernel-names';
import { GoldenSet, reportWorst, type GoldenCase } from './golden';

const set = new GoldenSet('ops');

function optional(c: GoldenCase, key: string) {
  return c.has(key) ? c.tensor(key) : null;
}

describe('golden/ops vs PyTorch 1.13', () => {
  after(() => reportWorst('ops'));

  for (const name of set.names('conv_')) {
    it(`${name}: forward, input/weight/bias grads`, () => {
      const c = set.get(name);
      const a = c.attrs;
      const attrs: Conv2DAttrs = { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups };
      const x = c.tensor('x'), w = c.tensor('w');
      c.check('y', ops.conv2d(x, w, optional(c, 'b'), attrs));
      const g = ops.conv2dBackward(c.tensor('dy'), x, w, attrs, true);
      c.check('dx', g.dx!);
      c.check('dw', g.dw);
      if (a.bias) c.check('db', g.db);
    });
  }

  for (const name of set.names('linear')) {
    it(`${name}: forward and grads`, () => {
      const c = set.get(name);
      const x = c.tensor('x'), w = c.tensor('w');
      c.check('y', ops.linear(x, w, optional(c, 'b')));
      const g = ops.linearBackward(c.tensor('dy'), x, w, true);
      c.check('dx', g.dx!);
      c.check('dw', g.dw);
      if (c.attrs.bias) c.check('db', g.db);
    });
  }

  for (const name of [...set.names('maxpool'), ...set.names('avgpool')]) {
    it(`${name}: forward and input grad`, () => {
      const c = set.get(name);
      const attrs: Pool2DAttrs = { kernel: c.attrs.kernel, stride: c.attrs.stride, padding: c.attrs.padding };
      const x = c.tensor('x'), dy = c.tensor('dy');
      if (name.startsWith('max')) {
        const r = ops.maxPool2d(x, attrs);
        c.check('y', r.y);
        c.check('dx', ops.maxPool2dGrad(dy, r.argmax, x.shape, attrs));
      } else {
        c.check('y', ops.avgPool2d(x, attrs));
        c.check('dx', ops.avgPool2dGrad(dy, x.shape, attrs));
      }
    });
  }

  it('relu (gradient 0 at 0)', () => {
    const c = set.get('relu');
    const y = ops.relu(c.tensor('x'));
    c.check('y', y);
    c.check('dx', ops.reluGrad(c.tensor('dy'), y));
  });

  for (const name of set.names('leaky_relu')) {
    it(`${name} (gradient = slope at 0)`, () => {
      const c = set.get(name);
      const x = c.tensor('x');
      c.check('y', ops.leakyRelu(x, c.attrs.slope));
      c.check('dx', ops.leakyReluGrad(c.tensor('dy'), x, c.attrs.slope));
    });
  }

  for (const name of [...set.names('layer_norm'), ...set.names('group_norm'), ...set.names('instance_norm')]) {
    it(`${name}: forward and grads`, () => {
      const c = set.get(name);
      const a = c.attrs;
      const x = c.tensor('x'), dy = c.tensor('dy');
      const gamma = a.affine ? c.tensor('gamma').reshape([c.tensor('gamma').size]) : null;
      const beta = a.affine ? c.tensor('beta').reshape([c.tensor('beta').size]) : null;
      let r: ops.NormResult, g: ops.NormGrads;
      if (name.startsWith('layer')) {
        const size = (a.normalized_shape as number[]).reduce((p, d) => p * d, 1);
        r = ops.layerNorm(x, size, gamma, beta, a.eps);
        g = ops.layerNormBackward(dy, r, gamma);
      } else if (name.startsWith('group')) {
        r = ops.groupNorm(x, a.groups, gamma, beta, a.eps);
        g = ops.groupNormBackward(dy, r, gamma, a.groups);
      } else {
        r = ops.instanceNorm(x, gamma, beta, a.eps);
        g = ops.instanceNormBackward(dy, r, gamma);
      }
      c.check('y', r.y);
      c.check('dx', g.dx);
      if (a.affine) {
        c.check('dgamma', g.dgamma.data); // ours is flat [size], PyTorch's has normalized_shape
        c.check('dbeta', g.dbeta.data);
      }
    });
  }

  for (const name of set.names('cross_entropy')) {
    it(`${name}: mean loss, probabilities, dlogits`, () => {
      const c = set.get(name);
      const labels = c.ints('labels');
      const r = ops.softmaxCrossEntropy(c.tensor('logits'), labels);
      c.check('loss', [ops.lossValues(r).loss]);
      c.check('probs', r.probs);
      c.check('dlogits', ops.softmaxCrossEntropyGrad(r.probs, labels));
      assert.equal(ops.lossValues(r).correct, c.attrs.correct);
    });
  }
});
