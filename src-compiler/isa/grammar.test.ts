// The TextMate grammar, run by the same engine VS Code uses (vscode-textmate + oniguruma), must
// highlight every mnemonic, field, engine and code of the ISA table; the committed file must be the
// one the ISA table generates.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { buildGrammar } from './grammar';
import { buildIsaReference } from './reference';
import { ENGINES, INSTRUCTIONS } from './table';

const root = path.join(__dirname, '..', '..');
const require_ = createRequire(__filename);

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasm = fs.readFileSync(path.join(path.dirname(require_.resolve('vscode-oniguruma')), 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => textmate.parseRawGrammar(fs.readFileSync(path.join(root, 'syntaxes', 'dnnasm.tmLanguage.json'), 'utf8'), 'dnnasm.tmLanguage.json'),
  });
  return (await registry.loadGrammar('source.dnnasm'))!;
}

/** The scopes of each token of one line, as [text, innermost scope]. */
function tokens(g: textmate.IGrammar, line: string): [string, string][] {
  const r = g.tokenizeLine(line, textmate.INITIAL);
  return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]!]);
}

describe('TextMate grammar', () => {
  it('is the grammar the ISA table generates (run npm run build after changing the table)', () => {
    expect(fs.readFileSync(path.join(root, 'syntaxes', 'dnnasm.tmLanguage.json'), 'utf8')).toBe(JSON.stringify(buildGrammar(), null, 2) + '\n');
  });

  it('docs/isa-reference.md is the reference the ISA table generates', () => {
    expect(fs.readFileSync(path.join(root, 'docs', 'isa-reference.md'), 'utf8')).toBe(buildIsaReference());
  });

  it('highlights every mnemonic and every field name of the ISA table', async () => {
    const g = await loadGrammar();
    for (const s of INSTRUCTIONS) {
      const line = `lbl: ${s.mnemonic} ${s.fields.map((f) => `${f.name}=1`).join(' ')} ; c`;
      const t = tokens(g, line);
      expect(t.find(([x]) => x === s.mnemonic)?.[1], s.mnemonic).toBe('keyword.other.instruction.dnnasm');
      for (const f of s.fields) expect(t.find(([x]) => x === f.name)?.[1], `${s.mnemonic}.${f.name}`).toBe('variable.parameter.field.dnnasm');
      expect(t.find(([x]) => x === 'lbl')?.[1]).toBe('entity.name.label.dnnasm');
      expect(t[t.length - 1]).toEqual(['; c', 'comment.line.dnnasm']);
      // Lower case is accepted by the assembler, so it is highlighted too.
      expect(tokens(g, `    ${s.mnemonic.toLowerCase()}`).find(([x]) => x === s.mnemonic.toLowerCase())?.[1]).toBe('keyword.other.instruction.dnnasm');
    }
  });

  it('highlights engines, codes, banks, numbers, directives and layer markers, and flags unknown fields', async () => {
    const g = await loadGrammar();
    const t = tokens(g, '    CONV dpdon=LOAD|misc bank_id_in=VB0[7] length=0x1F bogus=2');
    const scope = (x: string) => t.find(([y]) => y === x)?.[1];
    expect(scope('LOAD')).toBe('constant.language.engine.dnnasm');
    expect(scope('misc')).toBe('constant.language.engine.dnnasm');
    expect(scope('VB0')).toBe('support.constant.bank.dnnasm');
    expect(scope('0x1F')).toBe('constant.numeric.hex.dnnasm');
    expect(scope('bogus')).toBe('invalid.illegal.unknown-field.dnnasm');
    for (const e of ENGINES) expect(tokens(g, `    END dpdon=${e}`).find(([y]) => y === e)?.[1]).toBe('constant.language.engine.dnnasm');
    for (const s of INSTRUCTIONS)
      for (const f of s.fields)
        for (const code of Object.keys(f.values ?? {}))
          // `none` is both a code and the empty dependency mask; either constant scope is right.
          expect(tokens(g, `    ${s.mnemonic} ${f.name}=${code}`).find(([y]) => y === code)?.[1], code).toMatch(code === 'none' ? /^constant\.language\.(code|engine)\.dnnasm$/ : /^constant\.language\.code\.dnnasm$/);
    const layer = tokens(g, '.layer conv1 nodes=a,b group=g');
    expect(layer.find(([y]) => y === '.layer')?.[1]).toBe('keyword.control.directive.layer.dnnasm');
    expect(layer.find(([y]) => y === 'conv1')?.[1]).toBe('entity.name.section.layer.dnnasm');
    expect(tokens(g, '.ddr input reg=0 size=16 file="x.bin"').find(([y]) => y === '"x.bin"')?.[1]).toBe('string.quoted.double.dnnasm');
  });
});
