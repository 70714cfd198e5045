// Hover text: the ISA table's docs for instructions and fields, the meaning of names, and (when the
// caller has simulated the program) the timing of the instruction or layer under the cursor.

import type { Span } from '../asm/ast';
import { fieldBits, specByMnemonic, type FieldSpec } from '../isa/table';
import { formatValue } from '../asm/format';
import { absSpan, hitAt, type Analysis } from './analysis';
import { directiveSpec } from '../asm/directives';

export interface HoverResult {
  readonly markdown: string;
  readonly span: Span;
}

/** Extra sections a caller adds (e.g. timing from the simulator), by instruction index or layer index. */
export interface HoverExtras {
  instruction?(index: number): string | undefined;
  layer?(index: number): string | undefined;
}

export function fieldMarkdown(mnemonic: string, fs: FieldSpec): string {
  const legal = fs.values ? Object.entries(fs.values).map(([k, v]) => `\`${k}\` (${v})`).join(', ') : fs.kind === 'mask' ? 'a mask of LOAD, SAVE, CONV, MISC' : `${fs.min}..${fs.max}`;
  return `**${mnemonic}.${fs.name}** — ${fs.doc}\n\nBits ${fieldBits(fs)}${fs.minusOne ? ', stored as value−1' : ''}; legal ${legal}${fs.default !== undefined ? `; default ${fs.default}` : '; required'}.`;
}

export function hover(a: Analysis, offset: number, extras: HoverExtras = {}): HoverResult | undefined {
  const h = hitAt(a, offset);
  if (!h) return undefined;
  const p = a.program;
  const instrIndex = () => p.instrs.findIndex((i) => i.line === h.line.line);
  switch (h.kind) {
    case 'mnemonic': {
      const spec = specByMnemonic(h.instr.mnemonic.text);
      if (!spec) return undefined;
      const k = instrIndex();
      const timing = k >= 0 ? extras.instruction?.(k) : undefined;
      return {
        span: absSpan(h.line, h.instr.mnemonic),
        markdown: `**${spec.mnemonic}** — ${spec.engine === 'CTRL' ? 'end of program' : `${spec.engine} engine`}, opcode 0x${spec.opcode.toString(16)}, ${spec.words} word${spec.words > 1 ? 's' : ''}${k >= 0 ? `, instruction ${k} at word ${p.instrs[k]!.word}` : ''}\n\n${spec.doc}${timing ? `\n\n---\n${timing}` : ''}`,
      };
    }
    case 'fieldName':
    case 'fieldValue': {
      const spec = specByMnemonic(h.instr.mnemonic.text);
      const i = spec?.fieldIndex[h.field.name.text];
      if (!spec || i === undefined) return undefined;
      const fs = spec.fields[i]!;
      let md = fieldMarkdown(spec.mnemonic, fs);
      const k = instrIndex();
      if (k >= 0) {
        const v = p.instrs[k]!.values[i]!;
        md += `\n\nValue here: \`${formatValue(fs, v, p.arch)}\` (${v}${fs.minusOne ? `, stored ${v - 1}` : ''})`;
      }
      if (h.kind === 'fieldValue' && h.leaf.kind === 'symbol') {
        const sym = p.symbols.get(h.leaf.name);
        if (sym) md += `\n\n\`${sym.name}\`: ${symbolText(a, sym.name)}`;
      }
      return { span: absSpan(h.line, h.kind === 'fieldName' ? h.field.name : h.field.value), markdown: md };
    }
    case 'label':
      return { span: absSpan(h.line, h.ident), markdown: `label \`${h.ident.text}\`: ${symbolText(a, h.ident.text)}` };
    case 'directive':
    case 'argKey':
    case 'argValue': {
      const d = h.dir.name.text;
      if (d === 'layer') {
        const li = p.layers.findIndex((l) => l.line === h.line.line);
        const l = p.layers[li];
        if (!l) return undefined;
        const extra = extras.layer?.(li);
        return {
          span: absSpan(h.line, h.dir),
          markdown: `**layer ${l.name}**${l.group ? ` in fusion group \`${l.group}\`` : ''}: instructions ${l.first}..${l.end - 1} (${l.end - l.first})${l.nodes.length ? `\n\nXGraph nodes: ${l.nodes.map((n) => `\`${n}\``).join(', ')}` : ''}${extra ? `\n\n---\n${extra}` : ''}`,
        };
      }
      if (h.kind === 'argValue' && h.leaf.kind === 'symbol' && p.symbols.has(h.leaf.name))
        return { span: absSpan(h.line, h.leaf), markdown: `\`${h.leaf.name}\`: ${symbolText(a, h.leaf.name)}` };
      const spec = directiveSpec(d);
      const md = spec && `**${spec.syntax}** — ${spec.doc}${d === 'arch' ? `\n\nHere: ${p.arch.name} (${p.arch.description}).` : ''}`;
      return md ? { span: absSpan(h.line, h.dir.name), markdown: md } : undefined;
    }
    default:
      return undefined;
  }
}

function symbolText(a: Analysis, name: string): string {
  const p = a.program;
  const s = p.symbols.get(name);
  if (!s) return 'undefined';
  switch (s.kind) {
    case 'label':
      return `instruction ${s.value}${p.instrs[s.value] ? ` (${p.instrs[s.value]!.spec.mnemonic}, line ${p.instrs[s.value]!.line + 1})` : ''}`;
    case 'equ':
      return `constant = ${s.value} (0x${s.value.toString(16)})`;
    case 'region': {
      const r = p.regions.find((x) => x.name === name)!;
      return `DDR region: reg ${r.reg}, bytes 0x${r.offset.toString(16)}..0x${(r.offset + r.size - 1).toString(16)} (${r.size} bytes)${r.file ? `, initial data from ${r.file}` : ''}`;
    }
    case 'layer':
      return `layer marker on line ${s.line + 1}`;
  }
}
