// The XGraph webview's page: static markup, one stylesheet and one script from the extension's
// dist/webview folder, under a content security policy that allows nothing else: no remote content, no
// inline script or style, no eval (script-src has only the nonce), no frames, no connections.


export interface PageResources {
  /** The webview's source for the CSP (webview.cspSource). */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** A fresh nonce for each page. */
  readonly nonce: string;
}

export function contentSecurityPolicy(r: Pick<PageResources, 'cspSource' | 'nonce'>): string {
  return [`default-src 'none'`, `img-src ${r.cspSource} data:`, `style-src ${r.cspSource}`, `font-src ${r.cspSource}`, `script-src 'nonce-${r.nonce}'`, `base-uri 'none'`, `form-action 'none'`].join('; ');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function xgraphHtml(r: PageResources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(r))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(r.styleUri)}">
<title>XGraph</title>
</head>
<body>
<header class="toolbar">
  <span id="title">XGraph</span>
  <input id="search" type="search" placeholder="Search nodes (name or op)" aria-label="Search nodes" spellcheck="false">
  <span id="matches" aria-live="polite"></span>
  <button id="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
  <button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
  <button id="fit" title="Fit the whole graph (0)">Fit</button>
  <button id="export" title="Save the graph as an SVG file">Export SVG</button>
</header>
<main id="stage">
  <svg id="graph" tabindex="0" role="img" aria-label="XGraph"></svg>
  <div id="legend" aria-label="Legend"></div>
  <div id="tooltip" role="tooltip" hidden></div>
  <div id="status">Waiting for the graph…</div>
</main>
<script nonce="${attr(r.nonce)}" src="${attr(r.scriptUri)}"></script>
</body>
</html>
`;
}
