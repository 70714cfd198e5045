import { describe, expect, it } from 'vitest';
import { tableName } from './compile-cmd';

describe('layer names in the per-layer table', () => {
  it('prints short names whole and a long pair with its shared path once', () => {
    expect(tableName('conv1/7x7_s2+pool1/3x3_s2')).toBe('conv1/7x7_s2+pool1/3x3_s2');
    expect(tableName('inception_3a/3x3_reduce+inception_3a/3x3 | inception_3a/pool+inception_3a/pool_proj')).toBe('inception_3a/3x3_reduce+3x3 | pool+pool_proj');
    expect(tableName('inception_4b/1x1 | inception_4b/pool+inception_4b/pool_proj')).toBe('inception_4b/1x1 | pool+pool_proj');
  });

  it('cuts what still does not fit, and leaves names without a shared path alone until then', () => {
    const long = `${'a'.repeat(30)}/x+${'b'.repeat(30)}/y`;
    expect(tableName(long)).toHaveLength(48);
    expect(tableName(long).endsWith('...')).toBe(true);
  });
});
