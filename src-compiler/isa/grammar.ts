// The TextMate grammar of .dnnasm, generated from the ISA table so that every mnemonic, field name,
// engine and code name the assembler knows is highlighted, and nothing it does not know.

import { ENGINES, INSTRUCTIONS } from './table';
import { DIRECTIVES as DIRECTIVE_SPECS } from '../asm/directives';

const DIRECTIVES = DIRECTIVE_SPECS.map((d) => d.name);

function alt(words: Iterable<string>): string {
  return [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b)).join('|');
}

export function buildGrammar(): object {
  const mnemonics = alt(INSTRUCTIONS.map((s) => s.mnemonic));
  const fields = alt(INSTRUCTIONS.flatMap((s) => s.fields.map((f) => f.name)));
  const codes = alt(INSTRUCTIONS.flatMap((s) => s.fields.flatMap((f) => Object.keys(f.values ?? {}))));
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'DNNVM assembly',
    scopeName: 'source.dnnasm',
    comment: 'Generated from the ISA table by src-compiler/isa/grammar.ts (npm run build). Do not edit.',
    patterns: [{ include: '#comment' }, { include: '#layer' }, { include: '#directive' }, { include: '#label' }, { include: '#instruction' }, { include: '#value' }],
    repository: {
      comment: { name: 'comment.line.dnnasm', match: '(;|//).*$' },
      layer: {
        begin: '^\\s*(\\.layer)\\b\\s*("(?:[^"\\\\]|\\\\.)*"|[A-Za-z_][A-Za-z0-9_]*)?',
        beginCaptures: { 1: { name: 'keyword.control.directive.layer.dnnasm' }, 2: { name: 'entity.name.section.layer.dnnasm' } },
        end: '(?=$|;|//)',
        patterns: [{ include: '#key' }, { include: '#value' }],
      },
      directive: {
        begin: `^\\s*(\\.(?:${alt(DIRECTIVES)}))\\b`,
        beginCaptures: { 1: { name: 'keyword.control.directive.dnnasm' } },
        end: '(?=$|;|//)',
        patterns: [{ include: '#key' }, { include: '#value' }],
      },
      label: { match: '^\\s*([A-Za-z_][A-Za-z0-9_]*)(:)', captures: { 1: { name: 'entity.name.label.dnnasm' }, 2: { name: 'punctuation.separator.label.dnnasm' } } },
      instruction: {
        begin: `(?i)(?<=^|:)\\s*\\b(${mnemonics})\\b`,
        beginCaptures: { 1: { name: 'keyword.other.instruction.dnnasm' } },
        end: '(?=$|;|//)',
        patterns: [
          { match: `\\b(${fields})\\s*(=)`, captures: { 1: { name: 'variable.parameter.field.dnnasm' }, 2: { name: 'keyword.operator.assignment.dnnasm' } } },
          { match: '\\b([A-Za-z_][A-Za-z0-9_]*)\\s*(=)', captures: { 1: { name: 'invalid.illegal.unknown-field.dnnasm' }, 2: { name: 'keyword.operator.assignment.dnnasm' } } },
          { include: '#value' },
        ],
      },
      key: { match: '\\b([A-Za-z_][A-Za-z0-9_]*)\\s*(=)', captures: { 1: { name: 'variable.parameter.key.dnnasm' }, 2: { name: 'keyword.operator.assignment.dnnasm' } } },
      value: {
        patterns: [
          { include: '#comment' },
          { name: 'string.quoted.double.dnnasm', match: '"(?:[^"\\\\]|\\\\.)*"' },
          { name: 'constant.language.engine.dnnasm', match: `\\b(?i:${alt([...ENGINES, 'none'])})\\b` },
          { name: 'support.constant.bank.dnnasm', match: '\\b(?:VB[0-9]+|CONVW|DWCONVW|BIAS)\\b' },
          { name: 'constant.language.code.dnnasm', match: `\\b(?:${codes})\\b` },
          { name: 'constant.numeric.hex.dnnasm', match: '\\b0[xX][0-9a-fA-F_]+\\b' },
          { name: 'constant.numeric.binary.dnnasm', match: '\\b0[bB][01_]+\\b' },
          { name: 'constant.numeric.decimal.dnnasm', match: '\\b[0-9][0-9_]*\\b' },
          { name: 'keyword.operator.dnnasm', match: '[|+\\-*]' },
          { name: 'variable.other.symbol.dnnasm', match: '\\b[A-Za-z_][A-Za-z0-9_]*\\b' },
        ],
      },
    },
  };
}
