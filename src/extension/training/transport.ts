/** One way to talk to a training runner, whether a Node worker thread or the WebGPU webview. */
import { Worker } from 'node:worker_threads';
import type { ToWorker } from '../../protocol/worker-messages';

export interface TrainTransport {
  /** 'cpu' or 'webgpu'. */
  readonly backend: 'cpu' | 'webgpu';
  post(m: ToWorker): void;
  /** Raw messages from the runner (validate them). */
  onMessage(listener: (raw: unknown) => void): void;
  /** The runner went away; `why` is set when that was not a normal end. */
  onExit(listener: (why?: string) => void): void;
  terminate(): void;
}

export function workerTransport(script: string): TrainTransport {
  const worker = new Worker(script);
  let crash: string | undefined;
  return {
    backend: 'cpu',
    post: (m) => worker.postMessage(m),
    onMessage: (l) => worker.on('message', l),
    onExit: (l) => {
      worker.on('error', (e) => (crash = `the training worker crashed: ${e.message}`));
      worker.on('exit', (code) => l(crash ?? (code ? `the training worker exited (code ${code})` : undefined)));
    },
    terminate: () => void worker.terminate(),
  };
}
