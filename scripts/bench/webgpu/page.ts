/** The page of `npm run bench:webgpu`: steps.ts on navigator.gpu, for run.ts to call through playwright. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { initWebGpu } from '../../../src/engine/backends/webgpu';
import { benchWebGpu, type BenchResult } from './steps';

declare global {
  interface Window {
    bnlabBench: (steps: number, warmup: number) => Promise<BenchResult>;
  }
}

window.bnlabBench = (steps, warmup) => benchWebGpu(() => initWebGpu(navigator.gpu), async () => tf, steps, warmup);
