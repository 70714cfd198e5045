import { describe, expect, it } from 'vitest';
import { nonce, timelineHtml } from './debug-timeline-html';

describe('timeline webview page', () => {
  it('has a strict Content Security Policy: nothing remote, scripts and styles only by nonce', () => {
    const n = nonce();
    expect(n).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(nonce()).not.toBe(n);
    const html = timelineHtml({ cspSource: 'vscode-webview://abc' }, 'vscode-webview://abc/dist/timeline.js', n);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
    expect(csp).toBe(`default-src 'none'; img-src vscode-webview://abc data:; style-src 'nonce-${n}'; script-src 'nonce-${n}';`);
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    // Every script and style element carries the nonce; no inline handlers or style attributes.
    for (const m of html.matchAll(/<(script|style)\b[^>]*>/g)) expect(m[0]).toContain(`nonce="${n}"`);
    expect(html).not.toMatch(/\son\w+=|\sstyle="/);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
