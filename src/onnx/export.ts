/** Sequential → ONNX bytes, with BN folding planned and reported. */
import { resolve } from 'node:path';
import { onnx } from 'onnx-proto';
import { BNLAB_VERSION, modelFromCheckpoint, writeFileAtomic } from '../engine/checkpoint';
import type { Sequential } from '../engine/model';
import { planFold, type BnFoldEntry } from './fold';
import { toExportModel } from './from-model';
import { DEFAULT_OPSET, IR_VERSION, buildOnnx, checkOpset } from './graph';
import { DEFAULT_ATOL, heldOutBatches, validateVariants, type ValidationResult } from './validate';

export interface ExportedModel {
  bytes: Uint8Array;
  fold: boolean;
  opset: number;
  irVersion: number;
  /** Every BN of the model: folded into which layer, or why not. */
  bns: BnFoldEntry[];
  /** Node count per op type in the exported graph. */
  opCounts: Record<string, number>;
}

export interface SequentialExportOptions {
  fold?: boolean;
  opset?: number;
  /** Extra metadata_props (spec and bnlab_version are always recorded; exportOnnx adds `checkpoint`). */
  metadata?: Record<string, string>;
}

/** Exports a model's eval-mode computation as ONNX (IR 8). Throws OnnxExportError (a UserError) on bad options or layers. */
export function exportSequential(model: Sequential, opts: SequentialExportOptions = {}): ExportedModel {
  const fold = opts.fold ?? true;
  const opset = opts.opset ?? DEFAULT_OPSET;
  checkOpset(opset);
  const spec = model.describe();
  const plan = planFold(toExportModel(model.layers, spec, model.inputShape).layers, fold);
  const bytes = buildOnnx(
    { spec, inputShape: [...model.inputShape], layers: plan.layers },
    {
      opset,
      producerVersion: BNLAB_VERSION,
      docString: `BN Lab model "${spec}"${fold ? ', BN folded where possible' : ''}`,
      metadata: { spec, bnlab_version: BNLAB_VERSION, bn_folded: String(fold), ...opts.metadata },
    },
  );
  return { bytes, fold, opset, irVersion: IR_VERSION, bns: plan.bns, opCounts: countOps(bytes) };
}

/** Node count per op type of an encoded model. */
export function countOps(bytes: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of onnx.ModelProto.decode(bytes).graph?.node ?? []) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  return counts;
}

/** One line per BN: "layer 1 bn: folded into layer 0 conv(32,5,pad=2)" or the reason it was not. */
export function formatBnEntries(bns: readonly BnFoldEntry[]): string[] {
  return bns.map((b) =>
    b.folded ? `layer ${b.index} ${b.label}: folded into layer ${b.into} ${b.intoLabel}` : `layer ${b.index} ${b.label}: not folded (${b.reason}) → ${b.exportedAs}`,
  );
}

export interface ExportOnnxOptions {
  checkpointDir: string;
  outFile: string;
  /** Fold BNs into the conv/linear before them (default true). */
  fold?: boolean;
  opset?: number;
  /** Validate both variants against the engine before writing (default true). */
  validate?: boolean;
  /** Data source for validation (default: the checkpoint's data set, else digits). */
  data?: string;
  /** Test samples to validate on (default: the whole test split). */
  samples?: number;
  atol?: number;
}

export interface VariantReport {
  fold: boolean;
  bytes: number;
  bns: BnFoldEntry[];
  /** BatchNormalization nodes in the graph. */
  batchNormNodes: number;
  opCounts: Record<string, number>;
  validation?: ValidationResult;
}

export interface ExportReport {
  outFile: string;
  /** False when validation failed: nothing is written then. */
  written: boolean;
  spec: string;
  bnlabVersion: string;
  opset: number;
  irVersion: number;
  /** Which variant is in outFile. */
  fold: boolean;
  folded: VariantReport;
  unfolded: VariantReport;
  /** The data the validation ran on, when it ran. */
  data?: string;
  passed: boolean;
  timings: { exportMs: number; validateMs: number };
}

/**
 * Exports a checkpoint to outFile (atomically). Both the folded and the unfolded model are built in
 * memory and, unless validate is false, checked against the engine; the chosen one is written only
 * if it passes. Bad input throws a UserError with one clear line.
 */
export async function exportOnnx(opts: ExportOnnxOptions): Promise<ExportReport> {
  const fold = opts.fold ?? true;
  const opset = opts.opset ?? DEFAULT_OPSET;
  checkOpset(opset);
  const { model, meta } = await modelFromCheckpoint(opts.checkpointDir);
  const t0 = performance.now();
  // The checkpoint it came from, so validation can tell a mismatched pair (validate.ts: exportedFrom).
  const variants = [true, false].map((f) => exportSequential(model, { fold: f, opset, metadata: { checkpoint: resolve(opts.checkpointDir) } }));
  const t1 = performance.now();
  const reports = variants.map((v): VariantReport => ({
    fold: v.fold,
    bytes: v.bytes.length,
    bns: v.bns,
    batchNormNodes: v.opCounts.BatchNormalization ?? 0,
    opCounts: v.opCounts,
  }));
  let data: string | undefined;
  if (opts.validate ?? true) {
    const held = await heldOutBatches(model, meta, opts.checkpointDir, opts.data, opts.samples);
    data = held.source;
    const results = await validateVariants(variants.map((v) => v.bytes), model, held.batches, opts.atol ?? DEFAULT_ATOL);
    reports.forEach((r, i) => (r.validation = results[i]));
  }
  const t2 = performance.now();
  const chosen = fold ? 0 : 1;
  const passed = reports.every((r) => r.validation?.passed ?? true);
  const written = reports[chosen].validation?.passed ?? true;
  if (written) await writeFileAtomic(opts.outFile, variants[chosen].bytes);
  return {
    outFile: opts.outFile,
    written,
    spec: model.describe(),
    bnlabVersion: BNLAB_VERSION,
    opset,
    irVersion: IR_VERSION,
    fold,
    folded: reports[0],
    unfolded: reports[1],
    data,
    passed,
    timings: { exportMs: t1 - t0, validateMs: t2 - t1 },
  };
}

/** The export report as text: BN lines, then folded and unfolded side by side. */
export function formatExportReport(r: ExportReport): string {
  const cols: [string, (v: VariantReport) => string][] = [
    ['BatchNormalization nodes', (v) => String(v.batchNormNodes)],
    ['nodes', (v) => String(Object.values(v.opCounts).reduce((a, b) => a + b, 0))],
    ['size', (v) => `${(v.bytes / 1024).toFixed(1)} KiB`],
  ];
  if (r.data) {
    cols.push(
      ['max |diff|', (v) => v.validation!.maxAbsDiff.toExponential(2)],
      ['mean |diff|', (v) => v.validation!.meanAbsDiff.toExponential(2)],
      ['top-1 agreement', (v) => `${(100 * v.validation!.top1Agreement).toFixed(2)}%`],
      ['result', (v) => (v.validation!.passed ? 'PASS' : 'FAIL')],
    );
  }
  const row = (a: string, b: string, c: string) => `  ${a.padEnd(26)}${b.padEnd(14)}${c}`;
  const lines = [
    `model: ${r.spec}`,
    r.folded.bns.length ? 'BN layers (in the folded model):' : 'BN layers: none',
    ...formatBnEntries(r.folded.bns).map((l) => `  ${l}`),
    row('', 'folded', 'unfolded'),
    ...cols.map(([name, f]) => row(name, f(r.folded), f(r.unfolded))),
  ];
  if (r.data) {
    const v = r.folded.validation!;
    lines.push(`validation: ${v.samples} test samples of ${r.data} through onnxruntime-web (wasm) vs the engine in eval mode, atol ${v.atol}`);
  } else lines.push('validation: skipped (--no-validate)');
  const which = r.fold ? 'folded' : 'unfolded';
  lines.push(
    r.written
      ? `wrote ${r.outFile} (${which}, opset ${r.opset}, IR ${r.irVersion})`
      : `did not write ${r.outFile}: the ${which} model failed validation`,
  );
  if (r.written && !r.passed) lines.push(`the ${r.fold ? 'unfolded' : 'folded'} model failed validation`);
  return lines.join('\n');
}
