import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { boardByName } from '../arch/presets';
import type { Instr } from '../isa/encoding';
import { instrStream } from '../../test/support/arbitraries';
import { runFunctional } from './functional';
import { DdrImage } from './memory';
import { programFromInstrs, programFromWords } from './program';
import { simulateTiming } from './timing';
import { instr } from './testing/build';

const ZU9 = boardByName('ZU9')!;
const ZU2 = boardByName('ZU2')!;

/** Keep random instructions small enough to execute quickly; the clamping may make them illegal,
 * which is the point: the simulators must report, never crash, whatever the fields say. */
const SMALL: Record<string, number> = { length: 6, channel: 40, channel_group: 2, kernel_h: 4, kernel_w: 4, downsample_kernel_h: 4, downsample_kernel_w: 4, num: 4, valid_pixel_parallel: 8 };
function shrink(instrs: Instr[]): Instr[] {
  return instrs.map((x) => ({ spec: x.spec, values: x.values.map((v, k) => Math.min(v, SMALL[x.spec.fields[k]!.name] ?? v)) }));
}
const regions = Array.from({ length: 8 }, (_, reg) => ({ name: `r${reg}`, reg, offset: 0, size: 4096 }));

describe('bad input never crashes or hangs the simulators', () => {
  it('random instruction streams (any fields, any masks) give results and problems, never exceptions', () => {
    fc.assert(
      fc.property(fc.constantFrom(ZU9, ZU2), instrStream(ZU9, 40), fc.boolean(), (arch, raw, withData) => {
        const instrs = shrink(raw);
        const p = programFromInstrs(instrs, arch, [{ name: 'all', first: 0, end: instrs.length }], regions);
        const t = simulateTiming(p, { cores: arch.cores });
        expect(['complete', 'deadlock']).toContain(t.status);
        const ddr = new DdrImage(p.regions, () => (withData ? new Int8Array(4096).fill(3) : undefined));
        const f = runFunctional(p, ddr);
        for (const pr of [...t.problems, ...f.problems]) expect(pr.message.length).toBeGreaterThan(20);
      }),
      { numRuns: 400 },
    );
  });

  it('random words decode into whatever they hold and simulate without exceptions', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 60 }), (words) => {
        const { program } = programFromWords(words, ZU9, regions);
        const p = programFromInstrs(shrink([...program.instrs]), ZU9, [], regions);
        simulateTiming(p);
        runFunctional(p, new DdrImage(p.regions));
      }),
      { numRuns: 300 },
    );
  });

  it('an absurd instruction is an error, not an allocation of gigabytes', () => {
    const init = instr('CONVINIT', { jump_read: 1, shift_cut: 0, act_type: 0, jump_read_endl: 1, shift_bias: 0, stride_out: 1, jump_write: 1, valid_pixel_parallel: 8, kernel_h: 16, stride_h: 8, jump_write_endl: 1, kernel_w: 16, stride_w: 8 });
    const conv = (cg: number) => instr('CONV', { bank_addr_in: 0, bank_addr_out: 0, pad_bottom: 15, pad_right: 15, channel_group: cg, bank_addr_weights: 0, bank_id_in: 0, length: 1024, bank_addr_bias: 0, bank_id_out: 8 });
    const p = programFromInstrs([init, conv(256), conv(2), instr('END', {})], ZU9);
    const f = runFunctional(p, new DdrImage([]));
    expect(f.problems.slice(0, 2).map((x) => x.message)).toEqual([
      'CONV at instruction 1 (word 4): one filter takes kernel_h x kernel_w x channel_group = 16 x 16 x 256 = 65536 addresses, more than the 2048 of CONVW[0]: split the input channels over several instructions',
      'CONV at instruction 2 (word 9): its input tile is 72 rows x 8200 columns x 32 channels = 18892800 bytes, far more than the image banks hold (the walk would re-read wrapped addresses): check length, channel_group, the kernel and the strides',
    ]);
    const small = programFromInstrs([instr('CONVINIT', { ...init.spec.fields.reduce((o, fs, k) => ({ ...o, [fs.name]: init.values[k]! }), {}), stride_h: 1, stride_w: 1 }), instr('CONV', { bank_addr_in: 0, bank_addr_out: 0, pad_bottom: 15, pad_right: 15, channel_group: 9, bank_addr_weights: 0, bank_id_in: 0, length: 1, bank_addr_bias: 0, bank_id_out: 8 }), instr('END', {})], ZU9);
    expect(runFunctional(small, new DdrImage([])).problems[0]!.message).toBe(
      'CONV at instruction 1 (word 4): one filter takes kernel_h x kernel_w x channel_group = 16 x 16 x 9 = 2304 addresses, more than the 2048 of CONVW[0]: split the input channels over several instructions',
    );
  });
});
