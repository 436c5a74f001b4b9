/**
 * The WebGPU runner webview: trains runs on navigator.gpu with the engine's WebGPU backend and
 * streams their events to the host (protocol/worker-messages.ts). The host sends each run's data
 * set with its start message and writes the checkpoints this page asks for. The page itself shows
 * the adapter and what each run is doing.
 */
import { GpuError, initWebGpu, type GpuContext } from '../../src/engine/backends/webgpu';
import '../../src/engine/ops';
import { encodeSafetensors } from '../../src/engine/safetensors';
import { runTrainingSession } from '../../src/lab/training-session';
import {
  parseWorkerMessage, toRunnerSchema, toWorkerSchema, type FromRunner, type FromWorker, type StartMessage,
} from '../../src/protocol/worker-messages';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: FromRunner) => vscode.postMessage(m);

const status = document.createElement('pre');
status.id = 'bn-gpu-runner';
document.body.append(status);
const lines = new Map<string, string>();
const show = (key: string, line: string) => {
  lines.set(key, line);
  status.textContent = [...lines.values()].join('\n');
};

let context: Promise<GpuContext> | null = null;
/** The device, (re)initialized when there is none yet or the last one failed. */
async function gpu(): Promise<GpuContext> {
  const current = context && (await context.catch(() => null));
  if (!current || current.failed) context = initWebGpu(navigator.gpu);
  const ctx = await context!;
  show('adapter', `adapter: ${ctx.describe()}`);
  return ctx;
}

interface Session {
  abort: AbortController;
  saves: Map<number, { resolve: (dir: string) => void; reject: (e: Error) => void }>;
  lastStep: number;
}
const sessions = new Map<string, Session>();
let saveId = 0;

function start(runId: string, m: StartMessage): void {
  const s: Session = { abort: new AbortController(), saves: new Map(), lastStep: 0 };
  sessions.set(runId, s);
  const send = (message: FromWorker) => {
    if (message.type === 'event') {
      const e = message.event;
      if ('step' in e) s.lastStep = e.step;
      if (e.type === 'step') show(runId, `${runId}: step ${e.step}, loss ${e.loss.toFixed(4)}`);
      if (e.type === 'done') show(runId, `${runId}: ${e.reason} at step ${e.step}`);
    }
    post({ type: 'run', runId, message });
  };
  void runTrainingSession(m, {
    backend: 'webgpu',
    signal: s.abort.signal,
    send,
    loadDataset: async () => {
      await gpu();
      if (!m.dataset) throw new Error('the host sent no data set');
      return m.dataset;
    },
    saveCheckpoint: async (model, req) => {
      const weights = encodeSafetensors(await model.readStateDict(), { format: 'pt', spec: model.describe() });
      const id = ++saveId;
      const saved = new Promise<string>((resolve, reject) => s.saves.set(id, { resolve, reject }));
      send({ type: 'saveCheckpoint', id, weights, spec: model.describe(), step: req.step, epoch: req.epoch });
      return saved;
    },
    isBackendFailure: (e) => e instanceof GpuError,
  }).finally(() => {
    sessions.delete(runId);
    send({ type: 'finished' });
  });
}

window.addEventListener('message', (event: MessageEvent) => {
  const outer = toRunnerSchema.safeParse(event.data);
  if (!outer.success) return;
  if (outer.data.type === 'probe') {
    gpu().then(
      (ctx) => post({ type: 'adapter', ok: true, description: ctx.describe(), software: ctx.adapterInfo.software }),
      (e: Error) => post({ type: 'adapter', ok: false, description: e.message, software: false }),
    );
    return;
  }
  const { runId } = outer.data;
  const parsed = parseWorkerMessage(toWorkerSchema, outer.data.message);
  if (!parsed.ok) return post({ type: 'run', runId, message: { type: 'event', event: { type: 'done', reason: 'failed', step: 0, message: parsed.reason } } });
  const m = parsed.message;
  const s = sessions.get(runId);
  if (m.type === 'start') {
    if (!s) start(runId, m);
  } else if (m.type === 'stop') {
    if (s && !s.abort.signal.aborted) post({ type: 'run', runId, message: { type: 'stopping', step: s.lastStep } });
    s?.abort.abort();
  } else if (m.type === 'checkpointSaved') {
    const pending = s?.saves.get(m.id);
    s?.saves.delete(m.id);
    if (m.dir) pending?.resolve(m.dir);
    else pending?.reject(new Error(m.error ?? 'the host could not write the checkpoint'));
  } else if (m.type === 'loseDevice') {
    void context?.then((ctx) => ctx.device.destroy());
  }
});

post({ type: 'ready' });
