/** Dashboard layout, themed only through VS Code's CSS variables (light, dark and high contrast). */
export const DASHBOARD_CSS = `
#bn-dashboard { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 4px 2px 16px; }
#bn-dashboard header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-bottom: 6px; }
#bn-dashboard header .status { flex: 1 1 160px; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
#bn-dashboard button { background: var(--vscode-button-secondaryBackground, var(--vscode-button-background)); color: var(--vscode-button-secondaryForeground, var(--vscode-button-foreground));
  border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 2px 8px; font: inherit; cursor: pointer; }
#bn-dashboard button.primary { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
#bn-dashboard button:hover:not(:disabled) { background: var(--vscode-button-hoverBackground); color: var(--vscode-button-foreground); }
#bn-dashboard button:disabled { opacity: 0.5; cursor: default; }
#bn-dashboard button:focus-visible, #bn-dashboard select:focus-visible, #bn-dashboard .chip:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
#bn-dashboard select { background: var(--vscode-dropdown-background); color: var(--vscode-dropdown-foreground); border: 1px solid var(--vscode-dropdown-border, transparent); font: inherit; padding: 1px 4px; max-width: 100%; }
#bn-dashboard .runs { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 6px; }
#bn-dashboard .chip { display: inline-flex; align-items: center; gap: 5px; padding: 1px 7px; border-radius: 10px; cursor: pointer; user-select: none; max-width: 100%; box-sizing: border-box;
  border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, transparent)); background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
#bn-dashboard .chip.hidden { opacity: 0.45; }
#bn-dashboard .chip .name { min-width: 0; overflow-wrap: anywhere; }
#bn-dashboard .chip > :not(.name) { flex-shrink: 0; }
#bn-dashboard .chip .swatch { width: 9px; height: 9px; border-radius: 50%; display: inline-block; box-sizing: border-box; }
#bn-dashboard .chip .detail { opacity: 0.8; font-variant-numeric: tabular-nums; }
#bn-dashboard .chip button.icon { background: transparent; color: inherit; border: none; padding: 0 2px; opacity: 0.55; line-height: 1; }
#bn-dashboard .chip button.icon:hover:not(:disabled), #bn-dashboard .chip.pinned button.pin { opacity: 1; background: transparent; color: inherit; }
#bn-dashboard .chip button.icon:disabled { opacity: 0.2; }
#bn-dashboard .chip input.rename { font: inherit; width: 14em; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-focusBorder); }
#bn-dashboard section { margin: 8px 0 4px; }
#bn-dashboard h3 { font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; margin: 10px 0 4px; color: var(--vscode-sideBarSectionHeader-foreground, var(--vscode-foreground)); }
#bn-dashboard .row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 4px; }
#bn-dashboard .chart { width: 100%; overflow: hidden; }
#bn-dashboard canvas.heatmap { display: block; margin-top: 6px; }
#bn-dashboard .empty { padding: 12px 4px; color: var(--vscode-descriptionForeground); line-height: 1.5; }
#bn-dashboard .message { color: var(--vscode-errorForeground); margin: 4px 0; white-space: pre-wrap; }
#bn-dashboard .hint { color: var(--vscode-descriptionForeground); font-size: 11px; }
#bn-dashboard table.summary { border-collapse: collapse; font-variant-numeric: tabular-nums; width: 100%; font-size: 11px; }
#bn-dashboard table.summary th, #bn-dashboard table.summary td { padding: 2px 3px 2px 0; text-align: right; border-bottom: 1px solid var(--vscode-widget-border, rgba(128,128,128,0.25)); }
#bn-dashboard table.summary th { font-weight: 600; }
#bn-dashboard table.summary td:not(:first-child) { white-space: nowrap; width: 1%; }
#bn-dashboard table.summary th:first-child, #bn-dashboard table.summary td:first-child { text-align: left; overflow-wrap: anywhere; }
#bn-dashboard [hidden] { display: none !important; }
`;
