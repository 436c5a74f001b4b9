/**
 * The WebGPU runner: a webview panel (dist/webview/gpu-runner.js) where navigator.gpu is. It stays
 * alive while hidden (retainContextWhenHidden), runs any number of runs keyed by run id, and is
 * reopened when needed after the user closes it.
 */
import * as vscode from 'vscode';
import { fromRunnerSchema, type ToRunner } from '../../protocol/worker-messages';
import type { TrainTransport } from './transport';

export interface AdapterProbe {
  ok: boolean;
  /** The adapter ("webgpu (vendor / architecture)") or why there is none. */
  description: string;
  software: boolean;
}

const PROBE_TIMEOUT_MS = 30_000;

export class GpuRunner implements vscode.Disposable {
  static readonly panelType = 'bnLab.gpuRunner';
  private panel: vscode.WebviewPanel | undefined;
  private ready: Promise<void> | undefined;
  private readonly runs = new Map<string, { message: (m: unknown) => void; exit: (why?: string) => void }>();
  private probeWaiters: ((p: AdapterProbe) => void)[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /** Resolves when other webviews (the dashboard) have loaded: the runner opens after them. */
    private readonly settled: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Opens the runner (beside the editor, without taking focus) and resolves when its script listens. */
  private async open(): Promise<void> {
    if (this.panel && this.ready) return this.ready;
    await this.settled();
    if (this.panel && this.ready) return this.ready;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = (this.panel = vscode.window.createWebviewPanel(GpuRunner.panelType, 'BN Lab: GPU Runner',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [dist] }));
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'bnlab.svg');
    this.ready = new Promise((resolve) => {
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = fromRunnerSchema.safeParse(raw);
        if (!parsed.success) return this.log.warn(`GPU runner: dropped a message: ${parsed.error.issues[0]?.message}`);
        const m = parsed.data;
        if (m.type === 'ready') resolve();
        else if (m.type === 'adapter') this.probeWaiters.splice(0).forEach((w) => w(m));
        else this.runs.get(m.runId)?.message(m.message);
      });
    });
    panel.onDidDispose(() => {
      this.panel = this.ready = undefined;
      for (const [id, r] of this.runs) {
        this.runs.delete(id);
        r.exit('the GPU runner was closed');
      }
      this.probeWaiters.splice(0).forEach((w) => w({ ok: false, description: 'the GPU runner was closed', software: false }));
    });
    const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'gpu-runner.js'));
    panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'">
<title>BN Lab: GPU Runner</title></head>
<body><p>BN Lab trains here on the GPU (WebGPU). Keep this tab open while a GPU run goes on; it may stay in the background.</p>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
    return this.ready;
  }

  private async send(m: ToRunner): Promise<void> {
    await this.open();
    await this.panel?.webview.postMessage(m);
  }

  /** The adapter the webview finds (opening the runner if needed). */
  async probe(): Promise<AdapterProbe> {
    const answer = new Promise<AdapterProbe>((resolve) => {
      this.probeWaiters.push(resolve);
      setTimeout(() => resolve({ ok: false, description: `no answer from the GPU runner within ${PROBE_TIMEOUT_MS / 1000} s`, software: false }), PROBE_TIMEOUT_MS);
    });
    await this.send({ type: 'probe' });
    return answer;
  }

  /** A transport for one run in the runner. */
  transport(runId: string): TrainTransport {
    let message: (m: unknown) => void = () => {};
    let exit: (why?: string) => void = () => {};
    this.runs.set(runId, { message: (m) => message(m), exit: (why) => exit(why) });
    return {
      backend: 'webgpu',
      post: (m) => void this.send({ type: 'run', runId, message: m }),
      onMessage: (l) => (message = l),
      onExit: (l) => (exit = l),
      terminate: () => {
        if (this.runs.delete(runId)) exit();
      },
    };
  }

  /** Closes the runner tab when no run uses it (after `auto` chose the CPU). */
  closeIfIdle(): void {
    if (this.runs.size === 0) this.panel?.dispose();
  }

  /** Tests: destroys the GPU device under a running run, as a driver reset would. */
  loseDevice(runId: string): void {
    void this.send({ type: 'run', runId, message: { type: 'loseDevice' } });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
