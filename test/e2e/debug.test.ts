// End-to-end: the dnnasm debugger in a real VS Code (code-server + Chromium), as a user drives it:
// open the fixture program, start debugging it from the command palette, step with F10, read the
// cycle in the debug console, open the engine timeline, click an instruction in it to reveal its line.
// Screenshots go to test-results/e2e-debug/ (docs/images/debugger.png in the README is one of them).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDebugProgram } from '../../src-compiler/debug/launch';
import { DebugEngine } from '../../src-compiler/debug/session';
import { timelineData } from '../../src-compiler/debug/timeline';
import { cycleToX, laneTop, LANE_HEIGHT } from '../../src-compiler/debug/timeline-model';
import { e2eUnavailable } from './harness/code-server';
import { GOOD_FILE } from './harness/fixtures';
import { startSession, type Session } from './harness/session';
import { ROOT } from './harness/vsix';

const RESULTS = path.join(ROOT, 'test-results', 'e2e-debug');
const FIXTURES = path.join(ROOT, 'test-fixtures', 'programs');

describe('the dnnasm debugger in a real VS Code (code-server + Chromium)', () => {
  let s: Session | undefined;
  const session = () => {
    if (!s) throw new Error('the end-to-end session did not start (see the error of beforeAll above)');
    return s;
  };

  beforeAll(async () => {
    const reason = e2eUnavailable();
    if (reason) throw new Error(reason);
    s = await startSession(RESULTS);
    // The program's DDR data files (file= of its .ddr regions) beside it.
    for (const f of fs.readdirSync(FIXTURES)) if (f.startsWith('conv3x3.') && f.endsWith('.bin')) fs.copyFileSync(path.join(FIXTURES, f), path.join(s.workspace, f));
  }, 240_000);

  afterAll(async () => {
    await s?.close();
  }, 60_000);

  it('starts a session on a program, steps, shows engines in the call stack, the cycle, and the timeline', async () => {
    const { wb, page, server, workspace } = session();
    // What the session must show, from the library: the same program, cores and steps.
    const engine = new DebugEngine(loadDebugProgram({ program: path.join(FIXTURES, GOOD_FILE) }));
    const firstTop = engine.frames(0)[0]!;
    const steps: { name: string; line: number }[] = [];
    for (let k = 0; k < 3; k++) {
      engine.stepCore(0);
      const f = engine.frames(0)[0]!;
      steps.push({ name: f.name, line: f.line });
    }
    const cycleAfter = String(Number(engine.cycle.toFixed(4)));
    expect(Number(cycleAfter)).toBeGreaterThan(0);

    await server.waitForExtensionHost();
    await wb.openFile(GOOD_FILE);
    await wb.runCommand('DNNVM: Debug Assembly Program');
    const stack = page.locator('.debug-call-stack');
    const row = (text: string) => stack.locator('.monaco-list-row', { hasText: text }).first();
    await wb.step(`call stack shows ${firstTop.name}`, () => row(firstTop.name).waitFor({ state: 'visible', timeout: 60_000 }));
    // One thread per core (ZU9: 3), the stopped one first.
    for (const c of [0, 1, 2]) await wb.step(`thread core ${c}`, () => row(`core ${c}`).waitFor({ state: 'visible' }));
    // The editor marks the line of the top frame.
    await wb.step('current line decoration', () => wb.activeEditor().locator('.debug-top-stack-frame-line').first().waitFor({ state: 'attached' }));

    // F10 steps core 0's next instruction; each step waits for the call stack to show its result
    // (VS Code's own label of a frame: name, line, source).
    // VS Code ignores F10 while it still handles the previous stop (the debug state is not yet
    // 'stopped': the step-over action is disabled), so each press waits for the action to be enabled;
    // and a press that left the session where it was (on a loaded machine the keybinding can still
    // land in that window) is repeated once. A press that did step is never repeated.
    const stepOver = page.locator('.debug-toolbar .codicon-debug-step-over').first();
    const stepOverEnabled = () => stepOver.evaluate((el) => !el.classList.contains('disabled') && el.getAttribute('aria-disabled') !== 'true').catch(() => false);
    const frameRow = (name: string, line: number) => stack.locator(`.monaco-list-row[aria-label="Stack Frame ${name}, line ${line}, ${GOOD_FILE}"]`);
    let before = { name: firstTop.name, line: firstTop.line };
    for (const [k, st] of steps.entries()) {
      await expect.poll(stepOverEnabled, { timeout: 30_000 }).toBe(true);
      await page.keyboard.press('F10');
      const arrived = await frameRow(st.name, st.line).waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
      if (!arrived && (await frameRow(before.name, before.line).isVisible())) {
        await expect.poll(stepOverEnabled, { timeout: 30_000 }).toBe(true);
        await page.keyboard.press('F10');
      }
      await wb.step(`step ${k + 1}: top frame ${st.name} at line ${st.line}`, () => frameRow(st.name, st.line).waitFor({ state: 'visible' }));
      before = st;
    }

    // The debug console evaluates at the top frame: the cycle the session is at.
    await wb.runCommand('Debug Console: Focus on Debug Console View');
    // Type only once the console's input has the focus: the command can return before the focus
    // moves, and keys typed meanwhile would go to the assembly editor.
    const replInput = page.locator('.repl-input-wrapper');
    await wb.step('debug console input', () => replInput.waitFor({ state: 'visible' }));
    await replInput.click();
    await expect.poll(() => page.evaluate(() => Boolean((globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null } }).document.activeElement?.closest('.repl-input-wrapper'))), { timeout: 10_000 }).toBe(true);
    await page.keyboard.type('cycle');
    await page.keyboard.press('Enter');
    const out = page.locator('.repl .monaco-list-row .value', { hasText: new RegExp(`^${cycleAfter}$`) });
    await wb.step(`debug console answers cycle = ${cycleAfter}`, () => out.first().waitFor({ state: 'visible' }));
    await wb.runCommand('View: Show Run and Debug');
    // Away from the views, so that no hover covers them in the screenshot.
    await page.mouse.move(1000, 16);
    await wb.screenshot('10-debug-stepped');

    // The engine timeline, linked to the session.
    await wb.runCommand('DNNVM: Show Engine Timeline');
    const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const statusLine = view.locator('#status');
    await wb.step('timeline paints', () => statusLine.filter({ hasText: `${GOOD_FILE}: ZU9, 3 cores` }).waitFor({ state: 'visible', timeout: 30_000 }));
    expect(await statusLine.textContent()).toContain(`cycle ${cycleAfter}`);
    await wb.screenshot('11-debug-timeline');

    // Click core 0's CONV bar: the editor reveals the CONV line.
    const d = timelineData(engine);
    const conv = engine.program.instrs.findIndex((i) => i.spec.mnemonic === 'CONV');
    const k = d.bars.instr.findIndex((i, j) => i === conv && d.bars.lane[j] === 2);
    const canvas = view.locator('#timeline');
    const box = await canvas.boundingBox();
    if (!box) throw new Error('the timeline canvas has no box');
    const v = { x0: 0, x1: d.cycles * 1.01, width: box.width };
    const x = (cycleToX(v, d.bars.start[k]!) + cycleToX(v, d.bars.end[k]!)) / 2;
    await canvas.click({ position: { x, y: laneTop(2) + LANE_HEIGHT / 2 } });
    await wb.step('status shows the clicked CONV', () => statusLine.filter({ hasText: `CONV at line ${engine.program.lines![conv]}` }).waitFor({ state: 'visible' }));
    const convText = fs.readFileSync(path.join(workspace, GOOD_FILE), 'utf8').split('\n')[engine.program.lines![conv]! - 1]!.trim();
    await wb.step('editor reveals the CONV line', () => page.locator('.editor-group-container .monaco-editor .view-line', { hasText: convText.slice(0, 40) }).first().waitFor({ state: 'visible' }));
    await wb.screenshot('12-debug-timeline-reveal');
    await wb.runCommand('Debug: Stop');
  });
});
