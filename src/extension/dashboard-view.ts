import * as vscode from 'vscode';
import { parseCommand, type Command, type Notification } from '../protocol/messages';

/**
 * The BN statistics dashboard: a webview view in the "BN Lab" activity-bar container, also
 * openable as an editor panel. Every message from a webview is validated (protocol/messages.ts);
 * a malformed or unknown one is logged and dropped.
 */
export class DashboardViewProvider implements vscode.WebviewViewProvider, vscode.WebviewPanelSerializer, vscode.Disposable {
  static readonly viewId = 'bnLab.dashboard';
  static readonly panelType = 'bnLab.dashboardPanel';
  private view: vscode.WebviewView | undefined;
  private panel: vscode.WebviewPanel | undefined;
  private readonly resolved = new vscode.EventEmitter<vscode.WebviewView>();
  private readonly readyEmitter = new vscode.EventEmitter<vscode.Webview>();
  private readonly commandEmitter = new vscode.EventEmitter<Command>();
  /** Webviews whose script said it is listening: live events go only to them (a newer one first gets the history). */
  private readonly ready = new Set<vscode.Webview>();
  /** A reveal was asked for and its view is not resolved yet (a webview is about to load). */
  private revealing = false;
  /** A dashboard webview (re)loaded its script: send it what it should show. */
  readonly onDidBecomeReady = this.readyEmitter.event;
  /** A validated command from a dashboard webview (toolbar buttons). */
  readonly onCommand = this.commandEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * Resolves once a dashboard webview is listening, or after `timeoutMs` (there may be none). Other
   * webviews wait for it: two webviews loading at once in a browser workbench can leave one blank.
   */
  whenSettled(timeoutMs = 10_000): Promise<void> {
    if (this.ready.size > 0 || (!this.view && !this.panel && !this.revealing)) return Promise.resolve();
    return new Promise((done) => {
      const timer = setTimeout(finish, timeoutMs);
      const sub = this.readyEmitter.event(finish);
      function finish() {
        clearTimeout(timer);
        sub.dispose();
        done();
      }
    });
  }

  get visible(): boolean {
    return (this.view?.visible ?? false) || (this.panel?.visible ?? false);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const webview = view.webview;
    this.setup(webview);
    view.onDidDispose(() => {
      this.ready.delete(webview);
      this.view = undefined;
    });
    this.resolved.fire(view);
  }

  /** Shows the view (resolving it if needed); resolves once it is visible. */
  async reveal(): Promise<void> {
    if (this.view) {
      this.view.show(true);
      return;
    }
    const shown = new Promise<void>((done) => {
      const sub = this.resolved.event(() => {
        sub.dispose();
        done();
      });
    });
    this.revealing = true;
    try {
      await vscode.commands.executeCommand(`${DashboardViewProvider.viewId}.focus`);
      await shown;
    } finally {
      this.revealing = false;
    }
  }

  /** Opens (or shows) the dashboard as an editor panel. */
  openPanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal();
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(DashboardViewProvider.panelType, 'BN Lab Dashboard', vscode.ViewColumn.Beside, {
      retainContextWhenHidden: true,
    });
    this.adoptPanel(panel);
    return panel;
  }

  /** Restores the editor-tab dashboard after a window reload (VS Code keeps the tab and asks us to fill it). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    if (this.panel && this.panel !== panel) this.panel.dispose();
    this.adoptPanel(panel);
  }

  private adoptPanel(panel: vscode.WebviewPanel): void {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'bnlab.svg');
    // A disposed panel's `webview` throws: keep the reference for the close handler.
    const webview = panel.webview;
    this.setup(webview);
    panel.onDidDispose(() => {
      this.ready.delete(webview);
      if (this.panel === panel) this.panel = undefined;
    });
    this.panel = panel;
  }

  /** Sends a notification to every open, listening dashboard (or to `to`); false when none got it. */
  async post(message: Notification, to?: vscode.Webview): Promise<boolean> {
    const targets = to ? [to] : [...this.ready];
    const sent = await Promise.all(targets.map((w) => w.postMessage(message)));
    return sent.some(Boolean);
  }

  private setup(webview: vscode.Webview): void {
    const distWebview = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    webview.options = { enableScripts: true, localResourceRoots: [distWebview] };
    this.ready.delete(webview);
    webview.html = this.html(webview, distWebview);
    webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = parseCommand(raw);
      if (!parsed.ok) return this.log.warn(`dashboard: dropped a message: ${parsed.reason}`);
      const msg = parsed.message;
      if (msg.method === 'webview/ready') {
        this.ready.add(webview);
        this.readyEmitter.fire(webview);
      }
      else if (msg.method === 'webview/error') this.log.warn(`dashboard: ${msg.params.message}`);
      else this.commandEmitter.fire(msg);
    });
  }

  private html(webview: vscode.Webview, distWebview: vscode.Uri): string {
    const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(distWebview, 'dashboard.js'));
    // Styles come from the script (a <style> carrying this nonce); uPlot sizes elements through CSSOM.
    const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>BN Lab Dashboard</title>
</head>
<body>
<!-- the script builds #bn-dashboard (so its presence means the dashboard has rendered) -->
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    this.resolved.dispose();
    this.readyEmitter.dispose();
    this.commandEmitter.dispose();
  }
}
