/** Builds an ONNX ModelProto (IR 8, opset 13–17) from export layers, through onnx-proto. */
import { onnx } from 'onnx-proto';
import { UserError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { inferShapes, type BnLayer, type ExportLayer, type ExportModel, type NormLayer } from './ir';

export const IR_VERSION = 8;
export const DEFAULT_OPSET = 13;
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;

/** An error in what the user asked for (bad opset, unsupported layer): shown as one line. */
export class OnnxExportError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxExportError';
  }
}

export function checkOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxExportError(
      `opset ${opset} is not supported: choose an integer from ${MIN_OPSET} to ${MAX_OPSET} (IR version ${IR_VERSION}, what Debian's python3-onnx 1.12 accepts)`,
    );
  }
}

export interface GraphOptions {
  opset: number;
  metadata: Record<string, string>;
  producerVersion: string;
  docString?: string;
}

const AT = onnx.AttributeProto.AttributeType;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

type Attr = onnx.IAttributeProto;
const attrInt = (name: string, i: number): Attr => ({ name, type: AT.INT, i });
const attrInts = (name: string, ints: number[]): Attr => ({ name, type: AT.INTS, ints });
const attrFloat = (name: string, f: number): Attr => ({ name, type: AT.FLOAT, f });

function floatInit(name: string, dims: readonly number[], data: Float32Array, docString?: string): onnx.ITensorProto {
  const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { name, dims: [...dims], dataType: FLOAT, rawData: raw, docString };
}

function tensorType(dims: (number | string)[]): onnx.ITypeProto {
  return {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  };
}

/** Encodes the model (already folded or not) as ONNX bytes. Throws OnnxExportError for unsupported layers. */
export function buildOnnx(model: ExportModel, opts: GraphOptions): Uint8Array {
  checkOpset(opts.opset);
  const shapes = inferShapes(model);
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  const usedNames = new Set<string>();
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; usedNames.has(name); k++) name = `${base}_${k}`;
    usedNames.add(name);
    return name;
  };
  const param = (name: string, t: Tensor, shape?: readonly number[], doc?: string): string => {
    const n = fresh(name);
    inits.push(floatInit(n, shape ?? t.shape, t.data, doc));
    return n;
  };
  const constF = (name: string, dims: number[], value: number): string => {
    const n = fresh(name);
    inits.push(floatInit(n, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value)));
    return n;
  };
  const constI64 = (name: string, values: number[]): string => {
    const n = fresh(name);
    inits.push({ name: n, dims: [values.length], dataType: INT64, int64Data: values });
    return n;
  };
  const node = (layer: ExportLayer, opType: string, inputs: string[], attribute: Attr[] = []): string => {
    const out = fresh(`${layer.index}_${opType}`);
    nodes.push({ name: out, opType, input: inputs, output: [out], attribute, docString: layer.label });
    return out;
  };

  let cur = 'input';
  usedNames.add(cur);
  model.layers.forEach((l, i) => {
    const inShape = shapes[i];
    const p = `${l.index}.`;
    switch (l.op) {
      case 'conv': {
        const [, , kh, kw] = l.weight.shape;
        const doc = l.foldedBn === undefined ? undefined : `BN layer ${l.foldedBn} folded in`;
        const inputs = [cur, param(`${p}weight`, l.weight, undefined, doc)];
        if (l.bias) inputs.push(param(`${p}bias`, l.bias, undefined, doc));
        cur = node(l, 'Conv', inputs, [
          attrInts('dilations', l.dilation),
          attrInt('group', l.groups),
          attrInts('kernel_shape', [kh, kw]),
          attrInts('pads', [l.padding[0], l.padding[1], l.padding[0], l.padding[1]]),
          attrInts('strides', l.stride),
        ]);
        return;
      }
      case 'linear': {
        const doc = l.foldedBn === undefined ? undefined : `BN layer ${l.foldedBn} folded in`;
        const inputs = [cur, param(`${p}weight`, l.weight, undefined, doc)];
        if (l.bias) inputs.push(param(`${p}bias`, l.bias, undefined, doc));
        cur = node(l, 'Gemm', inputs, [attrInt('transB', 1)]);
        return;
      }
      case 'bn': {
        const c = l.numFeatures;
        if (!l.runningMean || !l.runningVar) {
          cur = batchStatsBn(l, inShape.length + 1, cur);
          return;
        }
        const scale = l.gamma ? param(`${p}weight`, l.gamma) : constF(`${p}ones`, [c], 1);
        const shift = l.beta ? param(`${p}bias`, l.beta) : constF(`${p}zeros`, [c], 0);
        const mean = param(`${p}running_mean`, l.runningMean);
        const variance = param(`${p}running_var`, l.runningVar);
        cur = node(l, 'BatchNormalization', [cur, scale, shift, mean, variance], [attrFloat('epsilon', l.eps)]);
        return;
      }
      case 'relu':
        cur = node(l, 'Relu', [cur]);
        return;
      case 'leakyrelu':
        cur = node(l, 'LeakyRelu', [cur], [attrFloat('alpha', l.slope)]);
        return;
      case 'maxpool':
      case 'avgpool': {
        const attrs = [
          attrInts('kernel_shape', l.kernel),
          attrInts('pads', [l.padding[0], l.padding[1], l.padding[0], l.padding[1]]),
          attrInts('strides', l.stride),
        ];
        if (l.op === 'avgpool') attrs.push(attrInt('count_include_pad', 1));
        cur = node(l, l.op === 'maxpool' ? 'MaxPool' : 'AveragePool', [cur], attrs);
        return;
      }
      case 'flatten':
        cur = node(l, 'Flatten', [cur], [attrInt('axis', 1)]);
        return;
      case 'dropout':
        return; // identity at inference
      case 'layernorm': {
        if (opts.opset < 17) {
          throw new OnnxExportError(
            `layer ${l.index} (${l.label}): LayerNormalization is unsupported for opset ${opts.opset}; it needs opset 17 (--opset 17)`,
          );
        }
        const scale = l.gamma ? param(`${p}weight`, l.gamma, inShape) : constF(`${p}ones`, inShape, 1);
        const shift = l.beta ? param(`${p}bias`, l.beta, inShape) : constF(`${p}zeros`, inShape, 0);
        cur = node(l, 'LayerNormalization', [cur, scale, shift], [attrInt('axis', 1), attrFloat('epsilon', l.eps)]);
        return;
      }
      case 'groupnorm':
      case 'instancenorm':
        cur = groupNorm(l, inShape, cur);
        return;
    }
  });

  function batchStatsBn(l: BnLayer, rank: number, x: string): string {
    // track_running_stats off: y = (x − mean) / √(var + eps) · γ + β, mean and biased var over every axis but C.
    const axes = [0, ...range(2, rank)];
    const cShape = [l.numFeatures, ...range(2, rank).map(() => 1)];
    const p = `${l.index}.`;
    const mean = node(l, 'ReduceMean', [x], [attrInts('axes', axes), attrInt('keepdims', 1)]);
    const centered = node(l, 'Sub', [x, mean]);
    const variance = node(l, 'ReduceMean', [node(l, 'Mul', [centered, centered])], [attrInts('axes', axes), attrInt('keepdims', 1)]);
    const std = node(l, 'Sqrt', [node(l, 'Add', [variance, constF(`${p}eps`, [], l.eps)])]);
    let y = node(l, 'Div', [centered, std]);
    if (l.gamma) y = node(l, 'Mul', [y, param(`${p}weight`, l.gamma, cShape)]);
    if (l.beta) y = node(l, 'Add', [y, param(`${p}bias`, l.beta, cShape)]);
    return y;
  }

  function groupNorm(l: NormLayer, inShape: number[], x: string): string {
    const c = inShape[0];
    const p = `${l.index}.`;
    const affineShape = [c, ...inShape.slice(1).map(() => 1)];
    if (l.op === 'instancenorm') {
      const scale = l.gamma ? param(`${p}weight`, l.gamma) : constF(`${p}ones`, [c], 1);
      const shift = l.beta ? param(`${p}bias`, l.beta) : constF(`${p}zeros`, [c], 0);
      return node(l, 'InstanceNormalization', [x, scale, shift], [attrFloat('epsilon', l.eps)]);
    }
    // GroupNormalization needs opset 18: reshape to [N, G, rest], instance-normalize, reshape back, then γ, β per channel.
    const grouped = node(l, 'Reshape', [x, constI64(`${p}group_shape`, [0, l.groups, -1])]);
    const ones = constF(`${p}group_ones`, [l.groups], 1);
    const zeros = constF(`${p}group_zeros`, [l.groups], 0);
    const normed = node(l, 'InstanceNormalization', [grouped, ones, zeros], [attrFloat('epsilon', l.eps)]);
    let y = node(l, 'Reshape', [normed, node(l, 'Shape', [x])]);
    if (l.gamma) y = node(l, 'Mul', [y, param(`${p}weight`, l.gamma, affineShape)]);
    if (l.beta) y = node(l, 'Add', [y, param(`${p}bias`, l.beta, affineShape)]);
    return y;
  }

  // The node producing the result writes `logits` (an Identity when no layer emits a node).
  if (cur === 'input') nodes.push({ name: 'identity', opType: 'Identity', input: [cur], output: ['logits'] });
  else nodes.find((n) => n.output![0] === cur)!.output = ['logits'];

  const outShape = shapes[shapes.length - 1];
  const model_ = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: opts.opset }],
    producerName: 'bnlab',
    producerVersion: opts.producerVersion,
    docString: opts.docString,
    metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'bnlab',
      node: nodes,
      initializer: inits,
      input: [{ name: 'input', type: tensorType(['N', ...model.inputShape]) }],
      output: [{ name: 'logits', type: tensorType(['N', ...outShape]) }],
    },
  });
  return onnx.ModelProto.encode(model_).finish();
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}
