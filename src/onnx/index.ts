/**
 * ONNX export with BN folding, validated by onnxruntime-web (Node only).
 *   const report = await exportOnnx({ checkpointDir, outFile, fold: true, opset: 13 });  // ExportReport
 *   const result = await validateOnnx({ onnxFile, checkpointDir, data?, samples?, atol? }); // ValidateReport
 * Bad input throws a UserError (engine/errors.ts) whose message is one line.
 *
 * Choices:
 * - Files are IR 8, opset 13 (13–17 allowed) so Debian's python3-onnx 1.12 checker accepts them.
 * - A BN folds into the conv/linear right before it (float64 math, float32 storage); otherwise it is
 *   an inference BatchNormalization node. A BN with track_running_stats off has no running
 *   statistics and normalizes with the batch's own (as PyTorch does in eval): it is exported as a
 *   ReduceMean/Sub/Mul/Sqrt/Div subgraph over N (and H, W), so its output depends on the batch.
 * - Group norm (GroupNormalization needs opset 18) is Reshape → InstanceNormalization → Reshape → Mul/Add;
 *   LayerNormalization needs opset 17 and is refused below it.
 * - Validation runs onnxruntime-web with graph optimizations off, so the nodes run as exported
 *   (onnxruntime would otherwise fuse the unfolded model's Conv+BatchNormalization itself); the
 *   chosen variant is written only if it passes.
 */
export { exportOnnx, exportSequential, countOps, formatBnEntries, formatExportReport, type ExportOnnxOptions, type ExportReport, type VariantReport, type ExportedModel } from './export';
export { validateOnnx, formatValidation, formatValidateReport, exportedFrom, mismatchNote, DEFAULT_ATOL, type ValidateOnnxOptions, type ValidateReport, type ValidationResult } from './validate';
export { DEFAULT_OPSET, MIN_OPSET, MAX_OPSET, IR_VERSION, OnnxExportError } from './graph';
export type { BnFoldEntry } from './fold';
