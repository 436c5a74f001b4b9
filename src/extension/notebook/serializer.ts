/** `.bnlab` files ⇄ VS Code notebooks (the file format itself is src/lab/notebook-format.ts). */
import * as vscode from 'vscode';
import { decodeOutputItem, deserializeNotebook, encodeOutputItem, serializeNotebook, type LabNotebook, type LabNotebookCell } from '../../lab/notebook-format';

/** Lab cells are YAML (VS Code highlights it); markdown cells are notes. */
export const LAB_LANGUAGE = 'yaml';

export class LabNotebookSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    // A NotebookFormatError's message names the fault and where; VS Code shows it instead of the notebook.
    return toNotebookData(deserializeNotebook(new TextDecoder().decode(content), 'this .bnlab file'));
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return new TextEncoder().encode(serializeNotebook(fromNotebookData(data)));
  }
}

export function toNotebookData(nb: LabNotebook): vscode.NotebookData {
  const data = new vscode.NotebookData(
    nb.cells.map((c) => {
      const cell =
        c.kind === 'markdown'
          ? new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, c.source, 'markdown')
          : new vscode.NotebookCellData(vscode.NotebookCellKind.Code, c.source, LAB_LANGUAGE);
      cell.outputs = c.outputs.map((o) => new vscode.NotebookCellOutput(o.items.map((i) => new vscode.NotebookCellOutputItem(decodeOutputItem(i), i.mime))));
      if (Object.keys(c.metadata).length) cell.metadata = c.metadata;
      return cell;
    }),
  );
  data.metadata = nb.metadata;
  return data;
}

export function fromNotebookData(data: vscode.NotebookData): LabNotebook {
  return {
    metadata: data.metadata ?? {},
    cells: data.cells.map(
      (c): LabNotebookCell => ({
        kind: c.kind === vscode.NotebookCellKind.Markup ? 'markdown' : 'lab',
        source: c.value,
        metadata: c.metadata ?? {},
        outputs: (c.outputs ?? []).map((o) => ({ items: o.items.map((i) => encodeOutputItem(i.mime, i.data)) })),
      }),
    ),
  };
}
