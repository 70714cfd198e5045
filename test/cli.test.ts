// The `dnnvm` command line as other tools see it: exit codes, the error format, JSON keys, files.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const fixtures = path.join(root, 'test-fixtures', 'programs');

function dnnvm(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'dnnvm.js'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-cli-'));

describe('dnnvm arch', () => {
  it('lists presets and configurations', () => {
    const r = dnnvm(['arch']);
    expect(r.code).toBe(0);
    for (const n of ['ZU2', 'ZU9', 'ZCU102', 'ZCU104', 'B512', 'B4096']) expect(r.out).toContain(n);
  });

  it('prints one JSON document with the contract keys', () => {
    const r = dnnvm(['arch', 'ZU9', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ name: 'ZU9', cores: 3, frequencyMHz: 330, pp: 8, icp: 16, ocp: 16 });
    expect(j.peakOpsPerSecond).toBe(3 * 4096 * 330e6);
    expect(j.ddrBytesPerSecond).toBeGreaterThan(0);
    const all = JSON.parse(dnnvm(['arch', '--json']).out);
    expect(all.presets.map((p: { name: string }) => p.name)).toEqual(['ZU2', 'ZU9', 'ZCU102', 'ZCU104']);
  });

  it('imports a Vitis AI target file', () => {
    const r = dnnvm(['arch', path.join(root, '..', 'shared', 'models', 'targets', 'DPUCZDX8G_ISA1_B1024.prototxt'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ pp: 8, icp: 8, ocp: 8, cores: 1 });
  });

  it('explains an unknown architecture with exit status 1 and no stack trace', () => {
    const r = dnnvm(['arch', 'ZU7']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: unknown architecture 'ZU7'/);
    expect(r.err).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('dnnvm asm / disasm', () => {
  it('assembles, disassembles to canonical text, and reassembles to the same bytes', () => {
    const d = tmp();
    const bin = path.join(d, 'c.dnnbin');
    const r = dnnvm(['asm', path.join(fixtures, 'conv3x3.dnnasm'), '-o', bin]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/36 instructions, 175 words \(700 bytes\) for ZU9/);
    const asm2 = path.join(d, 'c2.dnnasm');
    expect(dnnvm(['disasm', bin, '-o', asm2]).code).toBe(0);
    const bin2 = path.join(d, 'c2.dnnbin');
    expect(dnnvm(['asm', asm2, '-o', bin2]).code).toBe(0);
    expect(fs.readFileSync(bin2)).toEqual(fs.readFileSync(bin));
    const printed = dnnvm(['disasm', bin]);
    expect(printed.out).toBe(fs.readFileSync(asm2, 'utf8'));
  });

  it('reports every error as path:line:col: error: text [code], writes nothing, exits 1', () => {
    const d = tmp();
    const src = path.join(d, 'bad.dnnasm');
    fs.writeFileSync(src, '.arch ZU9\n    LOAD bank_id=VB0[9]\n    CONV x=\n    END\n');
    const r = dnnvm(['asm', 'bad.dnnasm'], d);
    expect(r.code).toBe(1);
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      `bad.dnnasm:2:5: error: LOAD lacks bank_addr, jump_write, jump_read, length, channel, reg_id, ddr_addr: every field without a default must be given [missing-field]`,
      `bad.dnnasm:2:22: error: VB0 has banks 0..7 on ZU9; 9 is out of range [bank]`,
      `bad.dnnasm:3:12: error: expected a value but found the end of the line (a value is a number, a name, a bank like VB0[2], or a quoted string) [syntax]`,
      'bad.dnnasm: 3 errors; nothing written',
    ]);
    expect(fs.existsSync(path.join(d, 'bad.dnnbin'))).toBe(false);
  });

  it('names the word offset of an unknown opcode, a truncated instruction and a ragged length', () => {
    const d = tmp();
    const put = (name: string, words: number[], extra = 0) => {
      const b = Buffer.alloc(words.length * 4 + extra);
      words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
      fs.writeFileSync(path.join(d, name), b);
      return path.join(d, name);
    };
    const end = 0x7 << 28;
    let r = dnnvm(['disasm', put('a.dnnbin', [end, 0x3 << 28])]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error: word 1: opcode 0x3 is not a DPUV2 instruction (word 0x30000000); decoding stops here');
    r = dnnvm(['disasm', put('b.dnnbin', [end, 0x8 << 28, 0])]);
    expect(r.err).toContain('error: word 1: CONV needs 5 words but the stream ends after 2');
    r = dnnvm(['disasm', put('c.dnnbin', [end], 3)]);
    expect(r.err).toContain('error: the file is 7 bytes, not a multiple of 4: word 1 is truncated (3 trailing bytes)');
    expect(r.code).toBe(1);
  });

  it('rejects unknown commands and options by name', () => {
    expect(dnnvm(['frob']).err).toMatch(/^error: unknown command 'frob' \(commands: arch, asm, disasm/);
    const r = dnnvm(['asm', 'x.dnnasm', '--fast']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: dnnvm asm: unknown option '--fast' \(options: --output, --arch, --json\)/);
    expect(dnnvm(['asm', 'missing.dnnasm']).err).toMatch(/^error: cannot read \S*missing.dnnasm: no such file/);
  });
});
