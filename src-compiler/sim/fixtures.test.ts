import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_DIR, simFixtures } from '../../scripts/gen-sim-fixtures';

describe('simulator fixtures', () => {
  it('the committed data files are what scripts/gen-sim-fixtures.ts generates from its seeds', () => {
    for (const f of simFixtures()) {
      const onDisk = fs.readFileSync(path.join(FIXTURE_DIR, f.name));
      expect(new Int8Array(onDisk.buffer, onDisk.byteOffset, onDisk.length), f.name).toEqual(f.bytes);
    }
  });
});
