import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../test/support/cli';

const FIXTURES = path.join(__dirname, '..', '..', 'test-fixtures', 'programs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-sim-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
for (const f of fs.readdirSync(FIXTURES)) if (f.startsWith('conv3x3.')) fs.copyFileSync(path.join(FIXTURES, f), path.join(tmp, f));

const dnnvm = (...argv: string[]) => runCli(argv, tmp);

describe('dnnvm sim', () => {
  it('prints the per-layer table and totals of the hand-written conv3x3', async () => {
    const r = await dnnvm('sim', 'conv3x3.dnnasm');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^conv3x3\.dnnasm: ZU9, B4096 at 330 MHz, 3 cores in throughput mode/);
    expect(r.out).toMatch(/\nconv1 +36 +0 +2,556 +2,556 +2,556 +147 k +4\.37 kB +114 GOP\/s +2\.8% +5\.3% +memory\n/);
    expect(r.out).toContain('total: 2,556 cycles = 7.74 us per image; 387,395 images/s with 3 cores;');
  });

  it('--json prints exactly one JSON document with the contract keys', async () => {
    const r = await dnnvm('sim', 'conv3x3.dnnasm', '--json', '--cores', '1');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: true, arch: 'ZU9', cores: 1, instructions: 36, status: 'complete' });
    expect(j.seconds).toBeCloseTo(j.cycles / 330e6, 15);
    expect(Object.keys(j.layers[0])).toEqual(expect.arrayContaining(['name', 'cycles', 'ops', 'opsPerSecond', 'rooflineFraction']));
    expect(j.layers[0]).toMatchObject({ name: 'conv1', ops: 2 * 147456, macs: 147456 });
    expect(j.problems).toEqual([]);
  });

  it('--trace writes a Chrome trace; a .dnnbin simulates like its .dnnasm', async () => {
    const t = await dnnvm('sim', 'conv3x3.dnnasm', '--trace', 'trace.json', '--json');
    const trace = JSON.parse(fs.readFileSync(path.join(tmp, 'trace.json'), 'utf8'));
    expect(trace.traceEvents.filter((e: { ph: string; cat: string }) => e.ph === 'X' && e.cat !== 'layer').length).toBe(35 * 3);
    expect((await dnnvm('asm', 'conv3x3.dnnasm', '-o', 'conv3x3.dnnbin')).code).toBe(0);
    const b = await dnnvm('sim', 'conv3x3.dnnbin', '--json');
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out).cycles).toBe(JSON.parse(t.out).cycles);
  });

  it('reports a deadlock at its line, as path:line:col: error, and exits 1', async () => {
    const text = fs.readFileSync(path.join(tmp, 'conv3x3.dnnasm'), 'utf8').replace('CONV     dpdon=LOAD dpdby=SAVE', 'CONV     dpdon=LOAD|MISC dpdby=SAVE');
    fs.writeFileSync(path.join(tmp, 'dead.dnnasm'), text);
    const line = text.split('\n').findIndex((l) => l.includes('CONV     dpdon')) + 1;
    const r = await dnnvm('sim', 'dead.dnnasm');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(tmp, 'dead.dnnasm')}:${line}:5: error: deadlock: no engine can start, and 9 instructions never run. CONV at line ${line} waits for a token from MISC`);
    expect(r.err).toMatch(/\[deadlock\]\n$/);
  });

  it('rejects a core count the architecture does not have', async () => {
    const r = await dnnvm('sim', 'conv3x3.dnnasm', '--cores', '4');
    expect(r).toEqual({ code: 1, out: '', err: 'error: --cores 4: ZU9 has 3 cores; give 1..3\n' });
  });
});

describe('dnnvm run', () => {
  it('executes the program bit-exactly and writes the output region', async () => {
    const r = await dnnvm('run', 'conv3x3.dnnasm', '--input', 'conv3x3.input.bin', '-o', 'out.bin');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^conv3x3\.dnnasm: 36 instructions, 147 kMAC in .* on ZU9 \(one core, bit-exact\)\noutput: region output, 1024 bytes, sha256 [0-9a-f]{64}, written to out\.bin\n$/);
    expect(fs.readFileSync(path.join(tmp, 'out.bin')).equals(fs.readFileSync(path.join(tmp, 'conv3x3.expected.bin')))).toBe(true);
  });

  it('refuses an input of the wrong size, naming the region and its line', async () => {
    fs.writeFileSync(path.join(tmp, 'short.bin'), Buffer.alloc(5));
    const r = await dnnvm('run', 'conv3x3.dnnasm', '--input', 'short.bin');
    const line = fs.readFileSync(path.join(tmp, 'conv3x3.dnnasm'), 'utf8').split('\n').findIndex((l) => l.startsWith('.ddr input')) + 1;
    expect(r).toEqual({ code: 1, out: '', err: `${path.join(tmp, 'conv3x3.dnnasm')}:${line}:1: error: --input short.bin holds 5 bytes, but region input has size=1024: supply exactly 1024 bytes\n` });
  });

  it('fails on a data race, writes no output, and says so', async () => {
    const text = fs.readFileSync(path.join(tmp, 'conv3x3.dnnasm'), 'utf8').replace('CONV     dpdon=LOAD dpdby=SAVE', 'CONV     dpdby=SAVE').replace('LOAD     dpdby=CONV', 'LOAD    ');
    fs.writeFileSync(path.join(tmp, 'race.dnnasm'), text);
    const r = await dnnvm('run', 'race.dnnasm', '-o', 'race-out.bin', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.problems.length).toBe(25);
    expect(j.problems[0]).toMatchObject({ severity: 'error', code: 'race', line: text.split('\n').findIndex((l) => l.includes('CONV     dpdby')) + 1 });
    expect(fs.existsSync(path.join(tmp, 'race-out.bin'))).toBe(false);
    expect(r.err).toMatch(/race\.dnnasm:\d+:5: error: data race: CONV at line \d+ reads VB0\[0\] addresses 0\.\.7, which LOAD at line \d+ writes/);
  });

  it('explains that a .dnnbin alone cannot run', async () => {
    const r = await dnnvm('run', 'conv3x3.dnnbin');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: conv3x3.dnnbin: a .dnnbin holds only instructions; running it needs its DDR regions and data. Run the .dnnasm that declares them with .ddr (program packages come with the compiler)\n',
    );
  });
});

describe('programs with segments (a model compiled with host layers)', () => {
  // The fixture twice, the second copy after `.segment second`.
  const twoSegments = () => {
    const text = fs.readFileSync(path.join(tmp, 'conv3x3.dnnasm'), 'utf8');
    const body = text.slice(text.indexOf('.layer'));
    // Labels are file-wide: the copy drops them.
    const copy = body.replace(/\.layer conv1/, '.layer conv2').replace(/^[A-Za-z_]\w*:\s*$/gm, '');
    fs.writeFileSync(path.join(tmp, 'two.dnnasm'), `${text}\n.segment second\n${copy}`);
  };

  it('dnnvm sim simulates each segment and sums them; --segment picks one', async () => {
    twoSegments();
    const all = await dnnvm('sim', 'two.dnnasm', '--cores', '1');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^segment main:\n/);
    expect(all.out).toMatch(/\nsegment second:\n/);
    const one = await dnnvm('sim', 'conv3x3.dnnasm', '--cores', '1', '--json');
    const cycles = JSON.parse(one.out).cycles as number;
    expect(all.out).toContain(`all 2 segments: ${(2 * cycles).toLocaleString('en-US')} cycles`);
    const second = JSON.parse((await dnnvm('sim', 'two.dnnasm', '--cores', '1', '--segment', 'second', '--json')).out);
    expect(second).toMatchObject({ segment: 'second', cycles, instructions: 36 });
    expect(second.layers.map((l: { name: string }) => l.name)).toEqual(['conv2']);
    const bad = await dnnvm('sim', 'two.dnnasm', '--segment', 'third');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--segment third: two\.dnnasm has segments 0: main, 1: second/);
  });

  it('dnnvm run asks which segment, since the host steps between them are not in the assembly', async () => {
    twoSegments();
    const r = await dnnvm('run', 'two.dnnasm');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/has 2 segments \(main, second\).*--segment NAME.*dnnvm validate MODEL/);
    const ok = await dnnvm('run', 'two.dnnasm', '--segment', '1', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, instructions: 36 });
  });
});
