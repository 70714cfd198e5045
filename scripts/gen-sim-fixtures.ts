// Writes the seeded data files of the simulator fixtures in test-fixtures/programs/:
// conv3x3.{input,weights,bias}.bin (the DDR regions conv3x3.dnnasm names with file=) and
// conv3x3.expected.bin, the output the plain reference convolution computes from them.
// The same seeds always give the same bytes; a test checks that the committed files match.
//
//   npx tsx scripts/gen-sim-fixtures.ts

import * as fs from 'node:fs';
import * as path from 'node:path';
import { refConv, seededBytes, tensor } from '../src-compiler/sim/testing/reference';

export const FIXTURE_DIR = path.join(__dirname, '..', 'test-fixtures', 'programs');

/** conv3x3.dnnasm: 8x8x16 input, 16 filters 3x3x16 (filter-major), stride 1, pad 1, ReLU; CONVINIT
 * shift_cut=9 and shift_bias=10 (the same numbers the program's CONVINIT holds). */
export function simFixtures(): { name: string; bytes: Int8Array }[] {
  const input = seededBytes(0x3c0, 8 * 8 * 16, -64, 63);
  const weights = seededBytes(0x3c1, 16 * 3 * 3 * 16, -64, 63);
  const bias = seededBytes(0x3c2, 16, -32, 31);
  const out = refConv(tensor(8, 8, 16, input), weights, bias, 16, {
    kh: 3,
    kw: 3,
    sh: 1,
    sw: 1,
    pads: { top: 1, left: 1, bottom: 1, right: 1 },
    act: 'relu',
    shiftCut: 9,
    shiftBias: 10,
  });
  return [
    { name: 'conv3x3.input.bin', bytes: input },
    { name: 'conv3x3.weights.bin', bytes: weights },
    { name: 'conv3x3.bias.bin', bytes: bias },
    { name: 'conv3x3.expected.bin', bytes: out.data },
  ];
}

if (require.main === module) {
  for (const f of simFixtures()) {
    const file = path.join(FIXTURE_DIR, f.name);
    fs.writeFileSync(file, new Uint8Array(f.bytes.buffer, f.bytes.byteOffset, f.bytes.length));
    console.log(`${path.relative(process.cwd(), file)}: ${f.bytes.length} bytes`);
  }
}
