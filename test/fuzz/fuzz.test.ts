// 10,000 cases per fuzz target, each within a second (npm run fuzz runs a million).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_TARGETS } from './targets';

describe('fuzzing: no exception escapes, no case takes a second', () => {
  for (const t of FUZZ_TARGETS)
    it(`${t.name} (10,000 cases)`, () => {
      let slowest = 0;
      fc.assert(
        fc.property(t.arbitrary, (input) => {
          const t0 = performance.now();
          (t.run as (x: unknown) => void)(input);
          slowest = Math.max(slowest, performance.now() - t0);
        }),
        { numRuns: 10_000 },
      );
      expect(slowest).toBeLessThan(1000);
    });
});
