/** Problems in lab cells (YAML errors, unknown keys, bad values, bad specs) as editor diagnostics, updated as you type. */
import * as vscode from 'vscode';
import type { DeepChecks } from '../../lab/config';
import { parseLabCell } from '../../lab/lab-language';
import { NOTEBOOK_TYPE } from '../../lab/notebook-format';
import { LAB_LANGUAGE } from './serializer';

const DEBOUNCE_MS = 250;

export function registerLabDiagnostics(deep: DeepChecks): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('bnlab');
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const isLabCell = (doc: vscode.TextDocument) =>
    doc.uri.scheme === 'vscode-notebook-cell' &&
    doc.languageId === LAB_LANGUAGE &&
    vscode.workspace.notebookDocuments.some((nb) => nb.notebookType === NOTEBOOK_TYPE && nb.getCells().some((c) => c.document === doc));

  const check = (doc: vscode.TextDocument) => {
    if (!isLabCell(doc)) return collection.delete(doc.uri);
    const { diagnostics } = parseLabCell(doc.getText(), deep);
    collection.set(
      doc.uri,
      diagnostics.map((d) => {
        const range = new vscode.Range(doc.positionAt(d.start), doc.positionAt(Math.max(d.end, d.start + 1)));
        const diag = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        diag.source = 'BN Lab';
        if (d.key) diag.code = d.key;
        return diag;
      }),
    );
  };
  const later = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => (timers.delete(key), check(doc)), DEBOUNCE_MS));
  };

  const checkNotebook = (nb: vscode.NotebookDocument) => {
    if (nb.notebookType === NOTEBOOK_TYPE) for (const c of nb.getCells()) check(c.document);
  };
  vscode.workspace.notebookDocuments.forEach(checkNotebook);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenNotebookDocument(checkNotebook),
    vscode.workspace.onDidChangeNotebookDocument((e) => e.contentChanges.length > 0 && checkNotebook(e.notebook)),
    vscode.workspace.onDidCloseNotebookDocument((nb) => nb.getCells().forEach((c) => collection.delete(c.document.uri))),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}
