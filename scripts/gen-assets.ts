// Writes the editor assets that derive from the ISA table and the architecture model:
// syntaxes/dnnasm.tmLanguage.json, docs/isa-reference.md and dist/arch.schema.json. Run by scripts/build.mjs.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGrammar } from '../src-compiler/isa/grammar';
import { ARCH_SCHEMA } from '../src-compiler/arch/schema';
import { buildIsaReference } from '../src-compiler/isa/reference';

export function grammarText(): string {
  return JSON.stringify(buildGrammar(), null, 2) + '\n';
}

function writeIfChanged(file: string, text: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

export function writeAssets(root: string): void {
  writeIfChanged(path.join(root, 'syntaxes', 'dnnasm.tmLanguage.json'), grammarText());
  writeIfChanged(path.join(root, 'docs', 'isa-reference.md'), buildIsaReference());
  writeIfChanged(path.join(root, 'dist', 'arch.schema.json'), JSON.stringify(ARCH_SCHEMA, null, 2) + '\n');
}

export default { writeAssets };
