/**
 * onnxruntime-web (wasm backend) in Node: one thread, wasm files found next to the bundle
 * (dist/ort/, copied by scripts/build.mjs) or in node_modules (tsx, tests).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
// require (not import) so that bundlers pick onnxruntime-web's CommonJS Node build, which needs no import.meta
import ort = require('onnxruntime-web');

const WASM_FILE = 'ort-wasm-simd-threaded.wasm';

/** The folder holding onnxruntime-web's wasm and its .mjs loader. */
export function ortWasmDir(): string {
  const candidates = [join(__dirname, 'ort'), __dirname];
  try {
    candidates.push(dirname(require.resolve('onnxruntime-web')));
  } catch {
    // bundled without node_modules: only the copies next to the bundle
  }
  const dir = candidates.find((d) => existsSync(join(d, WASM_FILE)));
  if (!dir) throw new Error(`onnxruntime-web's ${WASM_FILE} was not found in ${candidates.join(', ')}; run \`npm run build\``);
  return dir;
}

let configured = false;

function configure(): void {
  if (configured) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = ortWasmDir() + '/';
  ort.env.logLevel = 'error';
  configured = true;
}

export interface OnnxSession {
  /** Runs the model on `input` [N, ...inputShape]; returns `logits` and its shape. */
  run(input: Float32Array, shape: readonly number[]): Promise<{ data: Float32Array; shape: number[] }>;
  release(): Promise<void>;
}

/**
 * Opens a session on ONNX bytes. Graph optimizations are off so that the nodes run as exported:
 * onnxruntime would otherwise fold the unfolded model's BatchNormalization into its Conv itself,
 * and the unfolded check would no longer exercise the BatchNormalization nodes a runtime sees.
 */
export async function openSession(bytes: Uint8Array): Promise<OnnxSession> {
  configure();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' });
  return {
    async run(input, shape) {
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [...shape]) };
      const out = (await session.run(feeds))[session.outputNames[0]];
      const data = out.data as Float32Array;
      const result = { data: data.slice(), shape: [...out.dims] };
      out.dispose();
      return result;
    },
    release: () => session.release(),
  };
}
