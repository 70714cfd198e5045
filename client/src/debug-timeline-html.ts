// The engine timeline's webview page, without a VS Code dependency (so that tests can check its
// Content Security Policy): our script only, by nonce; no remote content; no inline style attributes.

import { randomBytes } from 'node:crypto';

export function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, 'x');
}

/** The webview page: our script only (by nonce), no remote content, no inline handlers. */
export function timelineHtml(webview: { cspSource: string }, scriptUri: string, n: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src 'nonce-${n}'; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Engine timeline</title>
<style nonce="${n}">
  body { padding: 0; margin: 0; font-family: var(--vscode-font-family); color: var(--vscode-foreground); background: var(--vscode-editor-background); }
  #bar { display: flex; gap: 6px; align-items: center; padding: 6px 8px; border-bottom: 1px solid var(--vscode-panel-border, #444); }
  button { background: var(--vscode-button-secondaryBackground, #3a3d41); color: var(--vscode-button-secondaryForeground, #fff); border: none; padding: 3px 10px; cursor: pointer; }
  button:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
  #status { font-size: 12px; opacity: 0.85; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #wrap { overflow: auto; }
  canvas { display: block; cursor: crosshair; }
  #legend { font-size: 11px; padding: 4px 8px; opacity: 0.8; }
  .k { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 10px; vertical-align: middle; }
  .load { background: #4e79a7; } .save { background: #59a14f; } .conv { background: #f28e2b; } .misc { background: #b07aa1; }
  .wait { background: #4e79a7; opacity: 0.3; } .ddr { background: #e15759; }
</style>
</head>
<body>
<div id="bar">
  <button id="fit" title="Show the whole run">Fit</button>
  <button id="zoomIn" title="Zoom in around the current cycle">+</button>
  <button id="zoomOut" title="Zoom out">−</button>
  <button id="perfetto" title="Save the simulator's Chrome trace JSON for ui.perfetto.dev">Export to Perfetto</button>
  <span id="status">waiting for the debug session…</span>
</div>
<div id="legend">
  <span class="k load"></span>LOAD<span class="k save"></span>SAVE<span class="k conv"></span>CONV<span class="k misc"></span>MISC
  <span class="k wait"></span>token stall (colour of the giving engine)<span class="k ddr"></span>DDR contention
  · click: reveal the line · double-click: move the debugger there · click the axis: go to that cycle · wheel: zoom · drag: pan
</div>
<div id="wrap"><canvas id="timeline"></canvas></div>
<script nonce="${n}" src="${scriptUri}"></script>
</body>
</html>`;
}

