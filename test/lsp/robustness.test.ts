// Bad input and failing analyses: the server answers, reports, and stays alive. A 50 MB program, a
// file of random bytes, a million lines, a deadlock, analyses over their limits, and injected faults
// (a simulation that throws, a worker that dies, one that hangs, a request handler that throws).

import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hover } from 'vscode-languageserver-protocol';
import { LspClient } from '../support/lsp-client';

const HEAD = '.arch ZU9\n.ddr input  reg=0 size=128\n.ddr output reg=2 size=128\n';
const uriOf = (name: string) => `file://${path.join(os.tmpdir(), name)}`;

/** LOAD/SAVE pairs in lock step (each SAVE hands the next LOAD a token): no race, no token left over. */
function lockStep(pairs: number): string {
  const out = [HEAD];
  for (let k = 0; k < pairs; k++) {
    const a = (k * 8) % 2048;
    const on = k > 0 ? 'dpdon=SAVE ' : '';
    const by = k < pairs - 1 ? ' dpdby=LOAD' : '';
    out.push(
      `    LOAD     ${on}dpdby=SAVE bank_addr=${a} bank_id=VB0[0] jump_write=1 jump_read=16 length=8 channel=16 reg_id=input ddr_addr=input broadcast=7 const_value=${k % 100}\n`,
      `    SAVE     dpdon=LOAD${by} bank_addr=${a} bank_id=VB0[0] jump_read=1 jump_write=16 length=8 channel=16 reg_id=output ddr_addr=output\n`,
    );
  }
  out.push('    END\n');
  return out.join('');
}

const hoverAt = (lsp: LspClient, uri: string, line: number) => lsp.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: 6 } });

describe('bad input', () => {
  let lsp: LspClient;
  beforeAll(async () => {
    lsp = new LspClient();
    await lsp.initialize(os.tmpdir());
  });
  afterAll(async () => lsp.stop());

  it('a 50 MB program: assembled, simulated, checked, and hovers answer meanwhile', async () => {
    const text = lockStep(170_000);
    expect(text.length).toBeGreaterThan(50e6);
    const uri = uriOf('fifty-megabytes.dnnasm');
    lsp.open(uri, text);
    expect(await lsp.diagnostics(uri, 1, 90000)).toEqual([]);
    const t = await lsp.phase(uri, 1, 'timing', 90000);
    expect(t.status.state).toBe('done');
    const t0 = Date.now();
    const h = await hoverAt(lsp, uri, 200_000);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((h!.contents as { value: string }).value).toContain('**Timing**');
    const f = await lsp.phase(uri, 1, 'functional', 110000);
    expect(f.status).toMatchObject({ state: 'done', detail: '340001 instructions, 0 errors' });
    expect(f.diagnostics).toEqual([]);
    lsp.close(uri);
  }, 240000);

  it('random bytes: at most a thousand diagnostics, the last one counting the rest', async () => {
    let seed = 7;
    const bytes = Buffer.from(Array.from({ length: 1_000_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255)).toString('latin1');
    const uri = uriOf('random.dnnasm');
    lsp.open(uri, bytes);
    const d = await lsp.diagnostics(uri, 1, 60000);
    expect(d.length).toBe(1000);
    const more = d.find((x) => x.code === 'too-many')!;
    expect(more.message).toMatch(/^\d+ problems \(\d+ errors\); the first 999 by severity are shown\. Fix those, or run dnnvm asm on the file for the full list$/);
    expect((await lsp.phase(uri, 1, 'timing')).status).toMatchObject({ state: 'skipped', detail: expect.stringMatching(/^the program has \d+ errors; the simulators run once it assembles$/) });
    lsp.close(uri);
  }, 120000);

  it('a million lines', async () => {
    const uri = uriOf('million.dnnasm');
    lsp.open(uri, '; x\n'.repeat(1_000_000));
    expect(await lsp.diagnostics(uri, 1, 60000)).toEqual([]);
    expect((await lsp.phase(uri, 1, 'timing')).status).toMatchObject({ state: 'skipped', detail: 'no instructions' });
    lsp.close(uri);
  }, 120000);

  it('a deadlock deep in a big program: reported on the blocked instructions; hover says what did not run', async () => {
    // Pair 30,000's SAVE gives no token: LOAD of pair 30,001 waits forever, and its SAVE with it.
    const lines = lockStep(50_000).split('\n');
    const giver = 3 + 2 * 30_000 + 1;
    lines[giver] = lines[giver]!.replace(' dpdby=LOAD', '');
    const uri = uriOf('deadlock-deep.dnnasm');
    lsp.open(uri, lines.join('\n'));
    const t = await lsp.phase(uri, 1, 'timing', 60000);
    expect(t.diagnostics.map((d) => [d.code, d.range.start.line])).toEqual([
      ['deadlock', giver + 1],
      ['deadlock', giver + 2],
    ]);
    expect(t.diagnostics[0]!.message).toMatch(/^deadlock: no engine can start, and 39998 instructions never run\. LOAD at line 60006 waits for a token from SAVE \(SAVE->LOAD holds none; SAVE is itself blocked at line 60007\);/);
    const h = await hoverAt(lsp, uri, giver + 3);
    expect((h!.contents as { value: string }).value).toContain('this instruction did not run — the simulation ended in a deadlock (see the diagnostics) before it.');
    const summary = await lsp.request<{ status: string }>('dnnvm/simulation', { uri });
    expect(summary.status).toBe('deadlock');
    lsp.close(uri);
  }, 120000);
});

describe('limits', () => {
  it('stops the timing at its instruction limit and the functional check at its time budget, and says so', async () => {
    const lsp = new LspClient();
    await lsp.conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { limits: { maxInstructions: 1000, functionalBudgetMs: 1 } } });
    void lsp.conn.sendNotification('initialized', {});
    const uri = uriOf('limits.dnnasm');
    lsp.open(uri, lockStep(20_000));
    const t = await lsp.phase(uri, 1, 'timing', 60000);
    expect(t.status.state).toBe('stopped');
    expect(t.diagnostics.map((d) => [d.code, d.severity, d.range.start.line])).toEqual([['limit', 2, 0]]);
    expect(t.diagnostics[0]!.message).toMatch(/^the simulation stopped at cycle \d+ after 1000 instruction starts \(the limit of this run\); the results cover the program only up to there$/);
    const f = await lsp.phase(uri, 1, 'functional', 60000);
    expect(f.status.state).toBe('stopped');
    const stop = f.diagnostics.find((d) => d.source === 'dnnvm functional')!;
    expect(stop.code).toBe('limit');
    expect(stop.message).toMatch(/^the functional check stopped at its time limit before (LOAD|SAVE) at line \d+: races, memory accesses are checked only up to there \(dnnvm run checks the whole program\)$/);
    await lsp.stop();
  }, 120000);
});

describe('a failing analysis never takes the server down', () => {
  let lsp: LspClient;
  beforeAll(async () => {
    lsp = new LspClient({ env: { DNNVM_LSP_TEST_FAULTS: '1' } });
    await lsp.initialize(os.tmpdir());
  });
  afterAll(async () => lsp.stop());
  const good = lockStep(3);

  async function stillWorks(name: string): Promise<void> {
    const uri = uriOf(name);
    lsp.open(uri, good);
    const f = await lsp.phase(uri, 1, 'functional', 30000);
    expect(f.status.state).toBe('done');
    expect(f.diagnostics).toEqual([]);
    expect(lsp.proc.exitCode).toBeNull();
  }

  it('a timing simulation that throws becomes a diagnostic; the functional phase still runs', async () => {
    const uri = uriOf('fault-throw.dnnasm');
    lsp.open(uri, good + '; dnnvm-test-fault: timing-throw\n');
    const t = await lsp.phase(uri, 1, 'timing');
    expect(t.status.state).toBe('failed');
    expect(t.diagnostics.map((d) => [d.code, d.source, d.severity, d.range.start.line])).toEqual([['simulator-failed', 'dnnvm timing', 2, 0]]);
    expect(t.diagnostics[0]!.message).toMatch(/^the timing simulation failed, so its diagnostics are missing for this version \(the other analyses are unaffected\): Error: injected fault .*This is a bug: the language server's log has the details$/);
    expect((await lsp.phase(uri, 1, 'functional')).status.state).toBe('done');
    await stillWorks('after-throw.dnnasm');
  });

  it('a worker that exits fails its job only; the next job gets a new worker', async () => {
    const uri = uriOf('fault-exit.dnnasm');
    lsp.open(uri, good + '; dnnvm-test-fault: timing-exit\n');
    const t = await lsp.phase(uri, 1, 'timing');
    expect(t.status.state).toBe('failed');
    expect(t.diagnostics[0]!.message).toContain('the timing worker stopped (exit code 3) during the job');
    await stillWorks('after-exit.dnnasm');
  });

  it('a worker that hangs is replaced when a newer edit needs it', async () => {
    const uri = uriOf('fault-hang.dnnasm');
    lsp.open(uri, good + '; dnnvm-test-fault: functional-hang\n');
    await lsp.phase(uri, 1, 'timing');
    // The functional phase never ends; an edit cancels it, and the worker that ignores that is restarted.
    lsp.change(uri, 2, [{ range: { start: { line: 10, character: 0 }, end: { line: 11, character: 0 } }, text: '' }]);
    const f = await lsp.phase(uri, 2, 'functional', 30000);
    expect(f.status.state).toBe('done');
    expect(lsp.statusesOf(uri).some((s) => s.version === 1 && s.phase === 'functional')).toBe(false);
  });

  it('an assembly that throws says so on the document, and the next edit tries again', async () => {
    const uri = uriOf('fault-analysis.dnnasm');
    lsp.open(uri, good + '; dnnvm-test-fault: analysis-throw\n');
    const d = await lsp.diagnostics(uri, 1);
    expect(d.map((x) => [x.code, x.severity, x.range.start])).toEqual([['internal', 1, { line: 0, character: 0 }]]);
    expect(d[0]!.message).toBe(
      "the assembler failed on this text (a bug; the language server's log has the details): injected fault in the analysis (a test of the server's isolation). Other files are unaffected; an edit tries again",
    );
    lsp.change(uri, 2, [{ range: { start: { line: 10, character: 0 }, end: { line: 11, character: 0 } }, text: '' }]);
    expect((await lsp.phase(uri, 2, 'functional')).diagnostics).toEqual([]);
  });

  it('a request handler that throws answers with nothing; the next request is answered', async () => {
    const uri = uriOf('fault-hover.dnnasm');
    lsp.open(uri, good + '; dnnvm-test-fault: hover-throw\n');
    await lsp.phase(uri, 1, 'timing');
    expect(await hoverAt(lsp, uri, 3)).toBeNull();
    expect(lsp.seen.get('window/logMessage')!.some((m) => String(m).startsWith('hover failed (a bug; the server keeps running): Error: injected fault in hover-throw'))).toBe(true);
    const ok = uriOf('after-hover.dnnasm');
    lsp.open(ok, good);
    await lsp.phase(ok, 1, 'timing');
    expect(await hoverAt(lsp, ok, 3)).not.toBeNull();
  });
});
