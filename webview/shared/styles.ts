/** Page styles, injected at startup: a <style> element carrying the page script's CSP nonce. */

/** The nonce of the script tag that loaded this bundle (read while the script runs). */
const scriptNonce = (typeof document !== 'undefined' && (document.currentScript as HTMLScriptElement | null)?.nonce) || '';

export function injectStyles(css: string, parent: Node = document.head): HTMLStyleElement {
  const style = document.createElement('style');
  if (scriptNonce) style.nonce = scriptNonce;
  style.textContent = css;
  parent.appendChild(style);
  return style;
}

/** The rules uPlot's DOM needs (layered canvas, overlay, cursor, legend), themed with VS Code's variables. */
export const UPLOT_CSS = `
.uplot { font-family: var(--vscode-font-family, sans-serif); line-height: 1.4; width: min-content; }
.uplot .u-title { text-align: center; font-size: 12px; font-weight: 600; }
.uplot .u-wrap { position: relative; user-select: none; }
.uplot .u-over, .uplot .u-under { position: absolute; }
.uplot .u-under { overflow: hidden; }
.uplot canvas { display: block; position: relative; width: 100%; height: 100%; }
.uplot .u-axis { position: absolute; }
.uplot .u-legend { font-size: 11px; margin: 2px auto 0; text-align: center; }
.uplot .u-legend.u-inline { display: block; }
.uplot .u-legend.u-inline * { display: inline-block; }
.uplot .u-legend.u-inline tr { margin-right: 10px; }
.uplot .u-legend th { font-weight: normal; padding: 0 2px 0 0; }
.uplot .u-legend td { padding: 0; }
.uplot .u-legend .u-marker { width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; background-clip: padding-box !important; }
.uplot .u-legend .u-off > * { opacity: 0.35; }
.uplot .u-legend tr { cursor: pointer; }
.uplot .u-select { position: absolute; pointer-events: none; background: var(--vscode-editor-selectionBackground, rgba(128,128,128,0.2)); opacity: 0.5; }
.uplot .u-cursor-x, .uplot .u-cursor-y { position: absolute; left: 0; top: 0; pointer-events: none; will-change: transform; }
.uplot .u-hz .u-cursor-x, .uplot.u-hz .u-cursor-x { height: 100%; border-right: 1px dashed var(--vscode-editorLineNumber-foreground, #888); }
.uplot .u-hz .u-cursor-y, .uplot.u-hz .u-cursor-y { width: 100%; border-bottom: 1px dashed var(--vscode-editorLineNumber-foreground, #888); }
.uplot .u-cursor-pt { position: absolute; top: 0; left: 0; border-radius: 50%; border: 0 solid; pointer-events: none; will-change: transform; background-clip: padding-box !important; }
.uplot .u-axis-hidden, .uplot .u-cursor-pt.u-off, .uplot .u-cursor-x.u-off, .uplot .u-cursor-y.u-off, .uplot .u-select.u-off { display: none; }
`;
