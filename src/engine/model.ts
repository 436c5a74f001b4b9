import * as ops from './ops';
import { UserError } from './errors';
import type { ForwardContext, Layer, Param } from './layers/layer';
import { Rng } from './rng';
import { createLayer, parseSpec, removeBn, where, type BuildOptions, type LayerSpec } from './spec';
import { readFloats, store, write, type BackendName } from './backend';
import { Tensor, shapeToString, type Shape } from './tensor';

export type Dtype = 'float32' | 'int64';
export interface StateEntry {
  tensor: Tensor;
  dtype: Dtype;
}
/** PyTorch state_dict: keys `${index}.${name}` in nn.Sequential order. */
export type StateDict = Map<string, StateEntry>;

export interface NamedParam {
  key: string;
  layer: number;
  param: Param;
}

export interface ModelOptions extends BuildOptions {
  /** Per-sample input shape, e.g. [1, 28, 28]. */
  sampleShape: readonly number[];
  /** Init seed (default 0); ignored when `rng` is given. */
  seed?: number;
  rng?: Rng;
  /** Drop every bn layer (--no-bn). */
  noBn?: boolean;
}

/** An nn.Sequential: layer i has state_dict prefix `${i}.` (parameterless layers keep their index). */
export class Sequential {
  readonly layers: Layer[];
  /** Input shape of each layer, then the output shape (shapes.length = layers.length + 1). */
  readonly shapes: Shape[];
  training = true;
  /** Drives dropout; seeded from the init rng. */
  readonly rng: Rng;
  /** `layer 3 "maxpool(2)"` for each layer, for error messages. */
  private readonly where: string[];
  /**
   * The order the layers run in: each "relu maxpool" pair runs as "maxpool relu", on 4× fewer
   * values for a 2×2 pool. Max pooling commutes with ReLU (a non-decreasing map): the outputs and
   * every gradient are the same bits (only a window with no positive value may record another
   * argmax, where both give a zero gradient).
   */
  readonly order: number[];

  constructor(specs: LayerSpec[], options: ModelOptions) {
    this.where = specs.map(where);
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    if (specs.length === 0) throw new UserError('the model spec has no layers');
    this.layers = specs.map((s) => createLayer(s, options));
    this.shapes = [options.sampleShape];
    this.layers.forEach((layer, i) => {
      try {
        this.shapes.push(layer.build(this.shapes[i], rng));
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`${where(specs[i])}: ${e.message}`);
        throw e;
      }
    });
    const out = this.outputShape;
    if (options.numClasses !== undefined && (out.length !== 1 || out[0] !== options.numClasses)) {
      throw new UserError(
        `the model outputs ${shapeToString(out)} per sample but the data has ${options.numClasses} classes; end the spec with linear(${options.numClasses})`,
      );
    }
    this.rng = new Rng(rng.nextU32());
    this.order = this.layers.map((_, i) => i);
    for (let i = 0; i + 1 < this.layers.length; i++) {
      if (this.layers[i].kind === 'relu' && this.layers[i + 1].kind === 'maxpool') {
        this.order[i] = i + 1;
        this.order[++i] = i - 1;
      }
    }
  }

  get inputShape(): Shape {
    return this.shapes[0];
  }

  get outputShape(): Shape {
    return this.shapes[this.shapes.length - 1];
  }

  /** Canonical spec, e.g. "conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)". */
  describe(): string {
    return this.layers.map((l) => l.describe()).join(' ');
  }

  train(): this {
    this.training = true;
    return this;
  }

  eval(): this {
    this.training = false;
    return this;
  }

  forward(x: Tensor): Tensor {
    const want = this.inputShape;
    if (x.rank !== want.length + 1 || want.some((d, i) => d !== x.shape[i + 1])) {
      throw new UserError(`the model expects input [N, ${want.join(', ')}], got ${shapeToString(x.shape)}`);
    }
    const ctx: ForwardContext = { training: this.training, rng: this.rng };
    let i = 0;
    try {
      for (const at of this.order) x = this.layers[(i = at)].forward(x, ctx);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`${this.where[i]}: ${e.message}`);
      throw e;
    }
    return x;
  }

  /** Backpropagates dL/dlogits through every layer; writes every Param.grad. */
  backward(dLogits: Tensor): void {
    let dy: Tensor | null = dLogits;
    for (let k = this.order.length - 1; k >= 0 && dy; k--) dy = this.layers[this.order[k]].backward(dy, k > 0);
  }

  params(): NamedParam[] {
    return this.layers.flatMap((l, i) => l.params().map((param) => ({ key: `${i}.${param.name}`, layer: i, param })));
  }

  stateDict(): StateDict {
    const sd: StateDict = new Map();
    this.layers.forEach((l, i) => {
      for (const p of l.params()) sd.set(`${i}.${p.name}`, { tensor: p.value, dtype: 'float32' });
      for (const b of l.buffers()) sd.set(`${i}.${b.name}`, { tensor: b.value, dtype: b.dtype });
    });
    return sd;
  }

  /** Copies values in (strict, like PyTorch): every key must match by name and shape. */
  loadStateDict(sd: StateDict): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !sd.has(k));
    const unexpected = [...sd.keys()].filter((k) => !own.has(k));
    if (missing.length || unexpected.length) {
      const parts = [];
      if (missing.length) parts.push(`missing keys ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys ${unexpected.join(', ')}`);
      throw new UserError(`the weights do not fit the model "${this.describe()}": ${parts.join('; ')}`);
    }
    for (const [k, { tensor }] of own) {
      const src = sd.get(k)!.tensor;
      if (!src.sameShape(tensor)) {
        throw new UserError(`the weights do not fit the model: ${k} has shape ${shapeToString(src.shape)} in the file, ${shapeToString(tensor.shape)} in the model`);
      }
    }
    for (const [k, { tensor }] of own) write(tensor, hostValues(sd.get(k)!.tensor));
  }

  /** Moves every parameter, gradient and buffer to the backend `name` (in place, like PyTorch's module.to()). */
  to(name: BackendName): this {
    if (name === 'cpu') return this;
    const s = store(name);
    for (const l of this.layers) {
      for (const p of l.params()) for (const t of [p.value, p.grad]) if (t.backend !== name) s.adopt(t);
      for (const b of l.buffers()) if (b.value.backend !== name) s.adopt(b.value);
    }
    return this;
  }

  /** A host copy of the state dict, snapshotted now (for checkpoints and exports from any backend). */
  async readStateDict(): Promise<StateDict> {
    const entries = [...this.stateDict()];
    const values = await Promise.all(entries.map(([, e]) => readFloats(e.tensor)));
    return new Map(entries.map(([k, e], i) => [k, { tensor: new Tensor(e.tensor.shape, values[i]), dtype: e.dtype }]));
  }
}

function hostValues(t: Tensor): Float32Array {
  if (t.backend !== 'cpu') throw new Error('loadStateDict takes host tensors (read() device ones first)');
  return t.data;
}

/** Builds a Sequential from spec text (or a preset name) for samples of `sampleShape`. */
export function buildModel(spec: string, options: ModelOptions): Sequential {
  let specs = parseSpec(spec);
  if (options.noBn) specs = removeBn(specs);
  return new Sequential(specs, options);
}

export interface LossResult extends ops.SoftmaxCrossEntropyResult {
  /** dL/dlogits, null when not asked for. */
  dLogits: Tensor | null;
}

/**
 * Mean softmax cross-entropy (nn.CrossEntropyLoss) and argmax hits, written into `metrics` at
 * `slot` (ops.lossValues reads them on the CPU), and (if `grad`) dL/dlogits. `reuse` passes the
 * previous result back so its buffers are reused.
 */
export function crossEntropy(
  logits: Tensor, labels: ops.Labels, grad = true, metrics?: Tensor, slot = 0, reuse?: Partial<LossResult>,
): LossResult {
  const r = ops.softmaxCrossEntropy(logits, labels, { probs: reuse?.probs, metrics: metrics ?? reuse?.metrics }, slot);
  return { ...r, dLogits: grad ? ops.softmaxCrossEntropyGrad(r.probs, r.labels, reuse?.dLogits ?? undefined) : null };
}
