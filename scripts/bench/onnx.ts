/**
 * Export + validation timing for a checkpoint (not a test): onnxruntime-web is started first,
 * then each run exports folded and unfolded in memory and validates both against the engine.
 *   npx tsx scripts/bench/onnx.ts --checkpoint DIR [--samples N|all] [--runs R] [--data SOURCE]
 * Prints one JSON line per measurement and a summary with medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { modelFromCheckpoint } from '../../src/engine/checkpoint';
import { buildModel } from '../../src/engine/model';
import { Tensor } from '../../src/engine/tensor';
import { exportOnnx, exportSequential } from '../../src/onnx/export';
import { openSession } from '../../src/onnx/ort';
import { formatValidation, heldOutBatches, validateVariants } from '../../src/onnx/validate';

const { values: args } = parseArgs({
  options: { checkpoint: { type: 'string' }, samples: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' }, data: { type: 'string' } },
});
if (!args.checkpoint) throw new Error('usage: onnx.ts --checkpoint DIR [--samples N|all] [--runs R] [--data SOURCE]');
const samples = args.samples === 'all' ? undefined : Number(args.samples);
const runs = Number(args.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  // onnxruntime's start: wasm compile and a first conv run (its kernels warm up on first use)
  const t0 = performance.now();
  const warm = await openSession(exportSequential(buildModel('conv(2,5,pad=2) relu maxpool(2) flatten linear(3)', { sampleShape: [1, 28, 28] }).eval()).bytes);
  await warm.run(new Float32Array(2 * 784), [2, 1, 28, 28]);
  await warm.release();
  const ortStartMs = performance.now() - t0;

  const { model, meta } = await modelFromCheckpoint(args.checkpoint!);
  const held = await heldOutBatches(model, meta, args.checkpoint!, args.data, samples);
  const n = held.count;
  const rows: { exportMs: number; validateMs: number; totalMs: number; apiMs: number; engineMs: number }[] = [];
  let last: Awaited<ReturnType<typeof validateVariants>> = [];
  let variants: ReturnType<typeof exportSequential>[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'bnlab-bench-'));
  for (let r = 0; r < runs; r++) {
    const a = performance.now();
    variants = [true, false].map((fold) => exportSequential(model, { fold }));
    const b = performance.now();
    last = await validateVariants(variants.map((v) => v.bytes), model, held.batches);
    const c = performance.now();
    // the public API end to end (checkpoint load, data, export, validation, atomic write)
    await exportOnnx({ checkpointDir: args.checkpoint!, outFile: join(dir, 'model.onnx'), data: args.data, samples });
    const d = performance.now();
    for (const batch of held.batches) model.forward(new Tensor([batch.n, ...model.inputShape], batch.x));
    const engineMs = performance.now() - d;
    rows.push({ exportMs: b - a, validateMs: c - b, totalMs: c - a, apiMs: d - c, engineMs });
    console.log(JSON.stringify({ run: r, ...rows[r] }));
  }
  rmSync(dir, { recursive: true, force: true });
  const [folded, unfolded] = variants;
  console.log(
    JSON.stringify({
      spec: model.describe(),
      data: held.source,
      samples: n,
      ortStartMs,
      medianExportMs: median(rows.map((r) => r.exportMs)),
      medianValidateMs: median(rows.map((r) => r.validateMs)),
      medianExportPlusValidateMs: median(rows.map((r) => r.totalMs)),
      medianApiMs: median(rows.map((r) => r.apiMs)),
      /** the engine's own eval forward over the same samples (part of validateMs) */
      medianEngineForwardMs: median(rows.map((r) => r.engineMs)),
      bnFolded: folded.bns.filter((x) => x.folded).length,
      bnTotal: folded.bns.length,
      batchNormNodesFolded: folded.opCounts.BatchNormalization ?? 0,
      batchNormNodesUnfolded: unfolded.opCounts.BatchNormalization ?? 0,
      folded: last[0],
      unfolded: last[1],
    }),
  );
  console.log(`folded:   ${formatValidation(last[0])}\nunfolded: ${formatValidation(last[1])}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
