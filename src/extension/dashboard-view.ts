import * as vscode from 'vscode';

/** The BN statistics dashboard: a webview view in the "BN Lab" activity-bar container. */
export class DashboardViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'bnLab.dashboard';
  private view: vscode.WebviewView | undefined;
  private readonly resolved = new vscode.EventEmitter<vscode.WebviewView>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const distWebview = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [distWebview, media] };
    view.webview.html = this.html(view.webview, distWebview, media);
    view.onDidDispose(() => (this.view = undefined));
    this.resolved.fire(view);
  }

  /** Shows the view (resolving it if needed); resolves once it is visible. */
  async reveal(): Promise<void> {
    if (this.view) {
      this.view.show(false);
      return;
    }
    const shown = new Promise<void>((done) => {
      const sub = this.resolved.event(() => {
        sub.dispose();
        done();
      });
    });
    await vscode.commands.executeCommand(`${DashboardViewProvider.viewId}.focus`);
    await shown;
  }

  /** Sends a message to the webview if it is open; false when it is not. */
  post(message: unknown): Thenable<boolean> {
    return this.view ? this.view.webview.postMessage(message) : Promise.resolve(false);
  }

  private html(webview: vscode.Webview, distWebview: vscode.Uri, media: vscode.Uri): string {
    const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(distWebview, 'dashboard.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.css'));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
      `connect-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>BN Lab Dashboard</title>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
