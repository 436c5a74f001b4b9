/**
 * The op API that layers use: each op is a forward function and an explicit backward function.
 * Ops dispatch to kernels through the registry (kernel-registry.ts) for the active backend.
 * Layout: NCHW for images, [N, F] for features. `out` arguments, when given, are written in
 * place so a training step can reuse its buffers.
 *
 * CONTRACT (implemented by the files in this folder; keep these signatures):
 *
 * conv2d(x[N,C,H,W], w[O,C/g,kh,kw], b[O]|null, attrs: Conv2DAttrs, out?) -> y[N,O,OH,OW]
 * conv2dBackward(dy, x, w, attrs, needDx: boolean) -> { dx: Tensor|null, dw: Tensor, db: Tensor }
 * linear(x[N,I], w[O,I], b[O]|null, out?) -> y[N,O]
 * linearBackward(dy[N,O], x[N,I], w[O,I], needDx) -> { dx|null, dw[O,I], db[O] }
 *
 * batchNormTrain(x[N,C] or [N,C,H,W], gamma[C]|null, beta[C]|null, eps)
 *    -> { y, mean[C], varBiased[C], varUnbiased[C], invStd[C], xhat (same shape as x) }
 *    throws "Expected more than 1 value per channel when training, got input size [..]" like PyTorch
 * batchNormInfer(x, mean[C], var[C], gamma|null, beta|null, eps) -> { y, invStd[C], xhat }
 * batchNormBackward(dy, saved: {xhat, invStd}, gamma|null, training: boolean)
 *    -> { dx, dgamma[C], dbeta[C] }   (training=false: the eval-mode/frozen formula, dx = dy*gamma*invStd)
 *
 * groupNorm(x[N,C,...], groups, gamma[C]|null, beta[C]|null, eps) -> { y, xhat, invStd[N*groups] }
 * groupNormBackward(dy, saved, gamma|null, groups) -> { dx, dgamma, dbeta }
 * layerNorm(x[N,...], normalizedSize (product of trailing dims), gamma|null, beta|null, eps) -> { y, xhat, invStd[N'] }
 * layerNormBackward(dy, saved, gamma|null) -> { dx, dgamma, dbeta }
 *   (instance norm = group norm with groups = C)
 *
 * relu(x, out?) / reluGrad(dy, y) ; leakyRelu(x, slope, out?) / leakyReluGrad(dy, x, slope)
 * maxPool2d(x, Pool2DAttrs) -> { y, argmax: int32 Tensor } ; maxPool2dGrad(dy, argmax, xShape, attrs)
 * avgPool2d(x, Pool2DAttrs) -> y (count_include_pad=true, like PyTorch's default) ; avgPool2dGrad(dy, xShape, attrs)
 * dropout(x, p, seed) -> { y, mask: Tensor (0 or 1/(1-p)) } ; backward: dy*mask (counter-based mask: the same on every backend)
 * softmaxCrossEntropy(logits[N,K], labels (int32 Tensor, or host Int32Array|Uint8Array), out?, slot?)
 *    -> { probs[N,K], metrics } with metrics[2·slot] = mean loss, metrics[2·slot+1] = count of argmax==label (lossValues() on the CPU)
 * softmaxCrossEntropyGrad(probs, labels) -> dlogits = (probs - onehot)/N
 * batchNormRunningStats(mean, varUnbiased, runningMean, runningVar, numBatchesTracked, momentum|null)  (in place)
 * sgdStep(param, grad, momentumBuf|null, attrs) ; adamStep(param, grad, m, v, attrs)  (in place; optim.ts drives them)
 *
 * ADDITIONS (beyond the original contract):
 * - Every op takes an optional last `out` argument: a Tensor for single-output ops, a partial
 *   result object for the others (e.g. `batchNormTrain(x, g, b, eps, this.saved)`); buffers of the
 *   right shape are written in place, others are replaced (see reuse()). Pass the previous result.
 * - Grads take `out` too: reluGrad(dy, y, out?), maxPool2dGrad(dy, argmax, xShape, attrs, out?), ...
 * - dropoutGrad(dy, mask, out?) ; flatten(x) -> [N, rest] view ; instanceNorm / instanceNormBackward
 * - conv2dAttrs({stride?, padding?, dilation?, groups?}) and pool2dAttrs({kernel, stride?, padding?})
 *   fill PyTorch's defaults; conv2dOutputShape / pool2dOutputShape compute shapes for Layer.build.
 * - Bad arguments throw OpError ("op: what is wrong, with shapes"), exported here.
 * - Importing this module registers the CPU kernels; backend.ts selects the backend. Kernel
 *   signatures (what a backend implements) are the KernelSignatures interface in kernels.ts; the
 *   WebGPU kernels register when backends/webgpu's initWebGpu() finds a device. Ops never read
 *   values: on a device backend they only queue work, and read() (backend.ts) brings values back.
 * - CPU backend: GEMM (linear, conv via im2col) and batch norm over [N, C, H, W] run WebAssembly
 *   SIMD kernels (backends/cpu/simd.wat) where the runtime has them, else plain JS; results agree
 *   to float32 rounding. Long reductions are summed in float64 (statistics, losses, GEMM across
 *   32-term blocks). Once `out` buffers are passed back and the kernels' scratch has grown to size,
 *   ops allocate no tensor-sized memory per call.
 */
import '../backends/cpu';

export { OpError } from './check';
export * from './conv';
export * from './linear';
export * from './norm';
export * from './activation';
export * from './pool';
export * from './loss';
export * from './state';
