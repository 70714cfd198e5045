// The syntax tree of a .dnnasm file. Every node keeps its source range as UTF-16 offsets into the
// text ([start, end)); `LineIndex` turns offsets into line and column for diagnostics and the editor.

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Ident extends Span {
  readonly text: string;
}

export type ValueNode =
  | { readonly kind: 'number'; readonly value: number; readonly start: number; readonly end: number; readonly radix: 2 | 10 | 16 }
  | { readonly kind: 'symbol'; readonly name: string; readonly start: number; readonly end: number }
  | { readonly kind: 'string'; readonly value: string; readonly start: number; readonly end: number }
  /** `VB0[3]`: a bank group indexed. */
  | { readonly kind: 'index'; readonly base: Ident; readonly index: ValueNode; readonly start: number; readonly end: number }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '|'; readonly left: ValueNode; readonly right: ValueNode; readonly start: number; readonly end: number }
  | { readonly kind: 'neg'; readonly operand: ValueNode; readonly start: number; readonly end: number };

export interface FieldNode extends Span {
  readonly name: Ident;
  readonly value: ValueNode;
}

export interface InstructionNode extends Span {
  readonly kind: 'instruction';
  readonly mnemonic: Ident;
  readonly fields: FieldNode[];
}

/** `key=value[,value...]` or a bare value, as an argument of a directive. */
export interface ArgNode extends Span {
  readonly key?: Ident;
  readonly values: ValueNode[];
}

export interface DirectiveNode extends Span {
  readonly kind: 'directive';
  /** Without the leading dot, lower-cased. */
  readonly name: Ident;
  readonly args: ArgNode[];
}

export interface CommentNode extends Span {
  readonly text: string;
}

/**
 * What one source line says: an optional label, an optional statement, an optional comment, and the
 * line's syntax errors. Offsets inside a body are relative to the line's first character, so the same
 * text parses to an equal body wherever it stands: bodies are cached across edits by their text.
 */
export interface LineBody {
  readonly label: Ident | undefined;
  readonly statement: InstructionNode | DirectiveNode | undefined;
  readonly comment: CommentNode | undefined;
  readonly errors: readonly SyntaxError[];
}

/** A line of a file: its 0-based number, absolute [start, end) (without the newline), and its body. */
export interface LineNode extends Span {
  readonly line: number;
  readonly body: LineBody;
}

export interface SyntaxError extends Span {
  readonly message: string;
}

/** Token classes, for semantic highlighting. */
export type TokenClass =
  | 'mnemonic'
  | 'field'
  | 'directive'
  | 'label'
  | 'number'
  | 'string'
  | 'symbol'
  | 'comment'
  | 'operator';

export interface ParseResult {
  readonly lines: LineNode[];
  /** All syntax errors, with absolute offsets, in order. */
  readonly errors: SyntaxError[];
}

/** Maps UTF-16 offsets to 0-based line and character, and back. */
export class LineIndex {
  private readonly starts: number[];
  constructor(readonly text: string) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.starts = starts;
  }
  get lineCount(): number {
    return this.starts.length;
  }
  position(offset: number): { line: number; character: number } {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - s[lo]! };
  }
  offset(line: number, character: number): number {
    if (line < 0) return 0;
    if (line >= this.starts.length) return this.text.length;
    const start = this.starts[line]!;
    const end = line + 1 < this.starts.length ? this.starts[line + 1]! - 1 : this.text.length;
    return Math.min(start + Math.max(0, character), end);
  }
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))]!;
  }
}
