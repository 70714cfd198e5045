import { describe, expect, it } from 'vitest';
import { alternativeAsmName, decideAsmWrite, sha256Text } from './asmFile';

const gen = (text: string, previous?: string) => ({ asmText: text, asmSha256: sha256Text(text), ...(previous !== undefined ? { previousAsmSha256: sha256Text(previous) } : {}) });

describe('decideAsmWrite: never over hand edits', () => {
  it('creates a missing file', () => {
    expect(decideAsmWrite(undefined, gen('new'))).toBe('create');
  });
  it('replaces the previous compilation’s untouched output', () => {
    expect(decideAsmWrite({ diskText: 'old', dirty: false }, gen('new', 'old'))).toBe('replace');
  });
  it('leaves a file that already holds the new assembly', () => {
    expect(decideAsmWrite({ diskText: 'new', dirty: false }, gen('new', 'old'))).toBe('unchanged');
  });
  it('asks when the file differs from what the previous compilation generated (hand edits)', () => {
    expect(decideAsmWrite({ diskText: 'old + my edit', dirty: false }, gen('new', 'old'))).toBe('conflict');
  });
  it('asks when there is no previous package to vouch for the file (unknown origin)', () => {
    expect(decideAsmWrite({ diskText: 'somebody’s file', dirty: false }, gen('new'))).toBe('conflict');
  });
  it('asks when the open editor has unsaved changes, even over an untouched file', () => {
    expect(decideAsmWrite({ diskText: 'old', dirty: true }, gen('new', 'old'))).toBe('conflict');
  });
  it('hashes UTF-8 text like the compiler’s manifest (sha256 of the bytes)', () => {
    expect(sha256Text('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Text('µ')).toBe(sha256Text('\u00b5'));
  });
});

describe('alternativeAsmName', () => {
  it('picks the first free .generated name beside the file', () => {
    const taken = new Set(['/m/lenet.generated.dnnasm']);
    expect(alternativeAsmName('/m/lenet.dnnasm', (p) => taken.has(p))).toBe('/m/lenet.generated-2.dnnasm');
    expect(alternativeAsmName('/m/lenet.dnnasm', () => false)).toBe('/m/lenet.generated.dnnasm');
  });
});
