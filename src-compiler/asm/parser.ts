// The .dnnasm parser. The grammar is a chevrotain embedded-actions parser (LineParser), the authority
// on what is valid and on every syntax error message. Tokens come from the hand-written scanner in
// lexer.ts.
//
// Statements are line-based, so the parser runs once per line on that line's tokens: an error ends
// only its own line, every line is parsed, and all errors of a file come out of one pass, each with
// the exact range of the offending token. `parse` never throws, whatever the input.
//
// Fast path: a compiled program is ~10^5 lines of the same simple shape, and chevrotain costs ~40 us
// per such line (rule-call and recognizer-state overhead), 8x the assembler's budget. `fastStatement`
// is a direct recursive-descent reading of the same grammar over the scanner's token arrays; it
// builds the identical AST for a valid line and gives up (returns undefined) on anything it does not
// expect, and the line then goes through chevrotain. A property test checks that the two agree on
// random valid and broken lines.

import { EmbeddedActionsParser, createToken, createTokenInstance, type IToken, type TokenType, type IParserErrorMessageProvider } from 'chevrotain';
import type { ArgNode, CommentNode, DirectiveNode, FieldNode, Ident, InstructionNode, LineBody, LineNode, ParseResult, SyntaxError, ValueNode } from './ast';
import { scan, scanLine, Tok, TokenBuffer, type TokenArrays } from './lexer';

// ---- Tokens (chevrotain's view of the scanner's kinds) --------------------------------------------

export const Newline = createToken({ name: 'Newline', pattern: /\n/ });
export const Directive = createToken({ name: 'Directive', pattern: /\.[A-Za-z_][A-Za-z0-9_]*/ });
export const StringLit = createToken({ name: 'String', pattern: /"(?:[^"\\\n]|\\.)*"/ });
export const NumberLit = createToken({ name: 'Number', pattern: /[0-9][A-Za-z0-9_]*/ });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });

const allTokens: TokenType[] = [Newline, Directive, StringLit, NumberLit, Identifier, Colon, Equals, Comma, Pipe, LBracket, RBracket, LParen, RParen, Plus, Minus, Star];

/** Chevrotain token type of each scanner kind that reaches the parser. */
const TYPE_OF: Partial<Record<Tok, TokenType>> = {
  [Tok.Identifier]: Identifier,
  [Tok.Number]: NumberLit,
  [Tok.String]: StringLit,
  [Tok.UnterminatedString]: StringLit,
  [Tok.Directive]: Directive,
  [Tok.Colon]: Colon,
  [Tok.Equals]: Equals,
  [Tok.Comma]: Comma,
  [Tok.Pipe]: Pipe,
  [Tok.LBracket]: LBracket,
  [Tok.RBracket]: RBracket,
  [Tok.LParen]: LParen,
  [Tok.RParen]: RParen,
  [Tok.Plus]: Plus,
  [Tok.Minus]: Minus,
  [Tok.Star]: Star,
};

// ---- Messages -------------------------------------------------------------------------------------

const describe = (t: IToken): string => (t.tokenType === Newline || t.image === '' ? 'the end of the line' : `'${t.image}'`);

const RULE_HINT: Record<string, string> = {
  field: 'fields are written name=value',
  primary: 'a value is a number, a name, a bank like VB0[2], or a quoted string',
  unary: 'a value is a number, a name, a bank like VB0[2], or a quoted string',
  line: 'a line holds a label (name:), an instruction or a .directive, and a comment after ; or //',
  arg: 'directive arguments are values or key=value',
};

const RULE_EXPECT: Record<string, string> = {
  primary: 'a value',
  unary: 'a value',
  statement: 'an instruction or a .directive',
  arg: 'an argument',
};

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const what: Record<string, string> = { Equals: "'='", Identifier: 'a name', RBracket: "']'", RParen: "')'", Colon: "':'" };
    return `expected ${what[expected.name] ?? expected.name} but found ${describe(actual)}${RULE_HINT[ruleName] ? ` (${RULE_HINT[ruleName]})` : ''}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describe(firstRedundant)}: a line holds one instruction or directive (fields are written name=value)`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    const first = actual[0] as unknown;
    const t = (Array.isArray(first) ? first[0] : first) as IToken | undefined;
    return `expected ${RULE_EXPECT[ruleName] ?? 'something else'} but found ${t ? describe(t) : 'nothing'}${RULE_HINT[ruleName] ? ` (${RULE_HINT[ruleName]})` : ''}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    const t = actual[0];
    return `unexpected ${t ? describe(t) : 'input'}${RULE_HINT[ruleName] ? ` (${RULE_HINT[ruleName]})` : ''}`;
  },
};

// ---- Parser ---------------------------------------------------------------------------------------

const end = (t: IToken) => t.startOffset + t.image.length;
const ident = (t: IToken): Ident => ({ text: t.image, start: t.startOffset, end: end(t) });

class LineParser extends EmbeddedActionsParser {
  constructor() {
    super(allTokens, { recoveryEnabled: false, errorMessageProvider: messages, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  /** The statement part of a line (label and comment are split off by the driver). */
  public statement = this.RULE('statement', (): InstructionNode | DirectiveNode | undefined => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.directive) },
      { ALT: () => this.SUBRULE(this.instruction) },
    ]);
  });

  private instruction = this.RULE('instruction', (): InstructionNode => {
    const m = this.CONSUME(Identifier);
    const fields: FieldNode[] = [];
    this.MANY(() => {
      this.OPTION(() => this.CONSUME(Comma));
      fields.push(this.SUBRULE(this.field));
    });
    const last = fields[fields.length - 1];
    return { kind: 'instruction', mnemonic: ident(m), fields, start: m.startOffset, end: last ? last.end : end(m) };
  });

  private field = this.RULE('field', (): FieldNode => {
    const n = this.CONSUME(Identifier);
    this.CONSUME(Equals);
    const v = this.SUBRULE(this.value);
    return { name: ident(n), value: v, start: n.startOffset, end: v?.end ?? end(n) };
  });

  private directive = this.RULE('directive', (): DirectiveNode => {
    const d = this.CONSUME(Directive);
    const args: ArgNode[] = [];
    this.MANY(() => args.push(this.SUBRULE(this.arg)));
    const last = args[args.length - 1];
    return {
      kind: 'directive',
      name: { text: d.image.slice(1).toLowerCase(), start: d.startOffset, end: end(d) },
      args,
      start: d.startOffset,
      end: last ? last.end : end(d),
    };
  });

  private arg = this.RULE('arg', (): ArgNode => {
    return this.OR([
      {
        GATE: () => this.LA(2).tokenType === Equals,
        ALT: () => {
          const k = this.CONSUME(Identifier);
          this.CONSUME(Equals);
          const values = [this.SUBRULE(this.value)];
          this.MANY(() => {
            this.CONSUME(Comma);
            values.push(this.SUBRULE2(this.value));
          });
          const last = values[values.length - 1];
          return { key: ident(k), values, start: k.startOffset, end: last?.end ?? end(k) };
        },
      },
      {
        ALT: () => {
          const v = this.SUBRULE3(this.value);
          return { values: [v], start: v?.start ?? 0, end: v?.end ?? 0 };
        },
      },
    ]);
  });

  /** value := sum ('|' sum)* — '|' joins dependency-mask engines. */
  private value = this.RULE('value', (): ValueNode => {
    let left = this.SUBRULE(this.sum);
    this.MANY(() => {
      this.CONSUME(Pipe);
      const right = this.SUBRULE2(this.sum);
      left = this.ACTION(() => ({ kind: 'binary', op: '|', left, right, start: left.start, end: right.end }));
    });
    return left;
  });

  private sum = this.RULE('sum', (): ValueNode => {
    let left = this.SUBRULE(this.product);
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]);
      const right = this.SUBRULE2(this.product);
      left = this.ACTION(() => ({ kind: 'binary', op: op.image as '+' | '-', left, right, start: left.start, end: right.end }));
    });
    return left;
  });

  private product = this.RULE('product', (): ValueNode => {
    let left = this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(Star);
      const right = this.SUBRULE2(this.unary);
      left = this.ACTION(() => ({ kind: 'binary', op: '*', left, right, start: left.start, end: right.end }));
    });
    return left;
  });

  private unary = this.RULE('unary', (): ValueNode => {
    return this.OR([
      {
        ALT: () => {
          const m = this.CONSUME(Minus);
          const operand = this.SUBRULE(this.unary);
          return { kind: 'neg', operand, start: m.startOffset, end: operand?.end ?? end(m) };
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  private primary = this.RULE('primary', (): ValueNode => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(NumberLit);
          return numberNode(t.image, t.startOffset);
        },
      },
      {
        ALT: () => {
          const s = this.CONSUME(StringLit);
          return { kind: 'string', value: unquote(s.image), start: s.startOffset, end: end(s) };
        },
      },
      {
        ALT: () => {
          const id = this.CONSUME(Identifier);
          let node: ValueNode = { kind: 'symbol', name: id.image, start: id.startOffset, end: end(id) };
          this.OPTION(() => {
            this.CONSUME(LBracket);
            const index = this.SUBRULE(this.value);
            const rb = this.CONSUME(RBracket);
            node = { kind: 'index', base: ident(id), index, start: id.startOffset, end: end(rb) };
          });
          return node;
        },
      },
      {
        ALT: () => {
          this.CONSUME(LParen);
          const v = this.SUBRULE2(this.value);
          this.CONSUME(RParen);
          return v;
        },
      },
    ]);
  });
}

/** A number literal: decimal, 0x hex or 0b binary, with optional `_` separators. A malformed literal
 * gets NaN, which the driver reports, so that the rest of the line still parses. */
export function numberNode(image: string, start: number): ValueNode {
  return numberIn(image, 0, image.length, start);
}

/** numberNode of the literal at [from, to) of `text`, read in place (no slice per literal), at relative offset `start`. */
function numberIn(text: string, from: number, to: number, start: number): ValueNode {
  const e = start + (to - from);
  // One char-code pass instead of regexes, slices and parseInt: every LOAD and SAVE of a compiled
  // program has a hex ddr_addr. The result is exact while it stays a safe integer, so it equals
  // parseInt's; anything past that goes the general way below so rounding stays parseInt's.
  let radix: 2 | 10 | 16 = 10;
  let k = from;
  if (to - from > 1 && text.charCodeAt(from) === 48) {
    const x = text.charCodeAt(from + 1) | 0x20;
    if (x === 120) radix = 16;
    else if (x === 98) radix = 2;
    if (radix !== 10) k = from + 2;
  }
  let v = 0;
  let digits = 0;
  let separators = false;
  for (; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 95) {
      separators = true;
      continue;
    }
    const d = c - 48 < 10 && c >= 48 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : 99;
    if (d >= radix) return { kind: 'number', value: NaN, radix, start, end: e };
    v = v * radix + d;
    digits++;
  }
  if (digits === 0) return { kind: 'number', value: NaN, radix, start, end: e };
  // (Plain decimal digits always took this loop, whatever the size.)
  if (v <= Number.MAX_SAFE_INTEGER || (radix === 10 && !separators)) return { kind: 'number', value: v, radix, start, end: e };
  const body = text.slice(radix === 10 ? from : from + 2, to).replace(/_/g, '');
  return { kind: 'number', value: parseInt(body, radix), radix, start, end: e };
}

function unquote(image: string): string {
  const inner = image.length >= 2 && image.endsWith('"') ? image.slice(1, -1) : image.slice(1);
  return inner.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\' })[c] ?? c);
}

// ---- Fast path ------------------------------------------------------------------------------------

/** Reads one line's tokens [pos, lineEnd) with the grammar of LineParser; undefined = let chevrotain decide. */
class FastLine {
  private pos = 0;
  private lim = 0;
  /** Absolute offset of the line's first character: node offsets are relative to it. */
  private base = 0;
  constructor(
    private readonly text: string,
    private readonly t: TokenArrays,
  ) {}

  statement(from: number, to: number, base: number): InstructionNode | DirectiveNode | undefined {
    this.base = base;
    this.pos = from;
    this.lim = to;
    const k = this.t.kind[from];
    const r = k === Tok.Directive ? this.directive() : k === Tok.Identifier ? this.instruction() : undefined;
    return r && this.pos === this.lim ? r : undefined;
  }

  private peek(): number {
    return this.pos < this.lim ? this.t.kind[this.pos]! : -1;
  }
  /** Relative start and end of token i. */
  private st(i: number): number {
    return this.t.start[i]! - this.base;
  }
  private en(i: number): number {
    return this.t.end[i]! - this.base;
  }
  /** The source text of token i. */
  private image(i: number): string {
    return this.text.slice(this.t.start[i]!, this.t.end[i]!);
  }
  private ident(i: number): Ident {
    return { text: this.image(i), start: this.st(i), end: this.en(i) };
  }

  private instruction(): InstructionNode | undefined {
    const m = this.pos++;
    const fields: FieldNode[] = [];
    for (;;) {
      let p = this.peek();
      if (p === -1) break;
      if (p === Tok.Comma) {
        this.pos++;
        p = this.peek();
      }
      if (p !== Tok.Identifier) return undefined;
      const n = this.pos++;
      if (this.peek() !== Tok.Equals) return undefined;
      this.pos++;
      const v = this.value();
      if (!v) return undefined;
      fields.push({ name: this.ident(n), value: v, start: this.st(n), end: v.end });
    }
    const last = fields[fields.length - 1];
    return { kind: 'instruction', mnemonic: this.ident(m), fields, start: this.st(m), end: last ? last.end : this.en(m) };
  }

  private directive(): DirectiveNode | undefined {
    const d = this.pos++;
    const args: ArgNode[] = [];
    while (this.pos < this.lim) {
      const p = this.peek();
      if (p === Tok.Identifier && this.pos + 1 < this.lim && this.t.kind[this.pos + 1] === Tok.Equals) {
        const k = this.pos;
        this.pos += 2;
        const first = this.value();
        if (!first) return undefined;
        const values = [first];
        while (this.peek() === Tok.Comma) {
          this.pos++;
          const v = this.value();
          if (!v) return undefined;
          values.push(v);
        }
        args.push({ key: this.ident(k), values, start: this.st(k), end: values[values.length - 1]!.end });
      } else {
        const v = this.value();
        if (!v) return undefined;
        args.push({ values: [v], start: v.start, end: v.end });
      }
    }
    const last = args[args.length - 1];
    const s = this.st(d);
    const e = this.en(d);
    return { kind: 'directive', name: { text: this.image(d).slice(1).toLowerCase(), start: s, end: e }, args, start: s, end: last ? last.end : e };
  }

  private value(): ValueNode | undefined {
    let left = this.sum();
    while (left && this.peek() === Tok.Pipe) {
      this.pos++;
      const right = this.sum();
      if (!right) return undefined;
      left = { kind: 'binary', op: '|', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private sum(): ValueNode | undefined {
    let left = this.product();
    for (;;) {
      const p = this.peek();
      if (!left || (p !== Tok.Plus && p !== Tok.Minus)) return left;
      this.pos++;
      const right = this.product();
      if (!right) return undefined;
      left = { kind: 'binary', op: p === Tok.Plus ? '+' : '-', left, right, start: left.start, end: right.end };
    }
  }

  private product(): ValueNode | undefined {
    let left = this.unary();
    while (left && this.peek() === Tok.Star) {
      this.pos++;
      const right = this.unary();
      if (!right) return undefined;
      left = { kind: 'binary', op: '*', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private unary(): ValueNode | undefined {
    if (this.peek() === Tok.Minus) {
      const m = this.pos++;
      const operand = this.unary();
      return operand && { kind: 'neg', operand, start: this.st(m), end: operand.end };
    }
    return this.primary();
  }

  private primary(): ValueNode | undefined {
    const p = this.peek();
    const i = this.pos;
    const s = this.st(i);
    const e = this.en(i);
    if (p === Tok.Number) {
      this.pos++;
      return numberIn(this.text, this.t.start[i]!, this.t.end[i]!, s);
    }
    if (p === Tok.String) {
      this.pos++;
      return { kind: 'string', value: unquote(this.image(i)), start: s, end: e };
    }
    if (p === Tok.Identifier) {
      this.pos++;
      if (this.peek() !== Tok.LBracket) return { kind: 'symbol', name: this.image(i), start: s, end: e };
      this.pos++;
      const index = this.value();
      if (!index || this.peek() !== Tok.RBracket) return undefined;
      const rb = this.pos++;
      return { kind: 'index', base: this.ident(i), index, start: s, end: this.en(rb) };
    }
    if (p === Tok.LParen) {
      this.pos++;
      const v = this.value();
      if (!v || this.peek() !== Tok.RParen) return undefined;
      this.pos++;
      return v;
    }
    return undefined;
  }
}

// ---- Driver ---------------------------------------------------------------------------------------

let parserInstance: LineParser | undefined;

export interface ParseOptions {
  /** Skip the fast path (for the agreement test). */
  readonly chevrotainOnly?: boolean;
}

/** Parse a whole .dnnasm text into lines and errors (absolute offsets). Never throws. */
export function parse(text: string, options: ParseOptions = {}): ParseResult {
  const lines: LineNode[] = [];
  const errors: SyntaxError[] = [];
  parseLines(
    text,
    (l) => {
      lines.push(l);
      for (const e of l.body.errors) errors.push({ start: e.start + l.start, end: e.end + l.start, message: e.message });
    },
    options,
  );
  return { lines, errors };
}

/**
 * Parse line by line, handing each line to `onLine` as soon as it is read, so that a consumer that
 * does not keep the tree (the command-line assembler) never holds the whole AST. Never throws.
 * Bodies come from `cache` when it holds one for the line's text (the language server keeps one
 * across edits: an edit re-parses only the lines it touched).
 */
export function parseLines(text: string, onLine: (line: LineNode) => void, options: ParseOptions = {}, cache?: Map<string, LineBody>): void {
  if (cache) {
    let lineNo = 0;
    let lineStart = 0;
    for (;;) {
      const nl = text.indexOf('\n', lineStart);
      const lineEnd = nl < 0 ? text.length : nl;
      const lineText = text.slice(lineStart, lineEnd);
      let body = cache.get(lineText);
      if (!body) cache.set(lineText, (body = parseLine(lineText, options)));
      onLine({ line: lineNo, start: lineStart, end: lineEnd, body });
      if (nl < 0) return;
      lineNo++;
      lineStart = nl + 1;
    }
  }
  // One line's tokens at a time, in one small buffer reused for every line (see scanLine).
  const t = new TokenBuffer(64);
  const fast = new FastLine(text, t);
  let lineNo = 0;
  let lineStart = 0;
  for (;;) {
    t.count = 0;
    let next: number;
    try {
      next = scanLine(text, lineStart, t);
    } catch (e) {
      onLine({ line: 0, start: 0, end: text.length, body: { label: undefined, statement: undefined, comment: undefined, errors: [{ start: 0, end: Math.min(text.length, 1), message: `internal scanner failure: ${String(e)}` }] } });
      return;
    }
    const ended = t.count > 0 && t.kind[t.count - 1] === Tok.Newline;
    const j = ended ? t.count - 1 : t.count;
    const lineEnd = ended ? t.start[j]! : text.length;
    onLine({ line: lineNo, start: lineStart, end: lineEnd, body: lineBody(text, t, 0, j, lineStart, lineEnd, fast, options) });
    if (!ended) return;
    lineNo++;
    lineStart = next;
  }
}

/** Parse one line of text (no newline inside); offsets in the body are relative to its start. */
export function parseLine(lineText: string, options: ParseOptions = {}): LineBody {
  const t = scan(lineText);
  return lineBody(lineText, t, 0, t.count, 0, lineText.length, new FastLine(lineText, t), options);
}

/** The body of the line made of tokens [i, j) of `t`, which starts at absolute offset `base`. */
function lineBody(text: string, t: TokenArrays, i: number, j: number, base: number, lineEnd: number, fast: FastLine, options: ParseOptions): LineBody {
  const { kind, start, end: tend } = t;
  const errors: SyntaxError[] = [];
  let comment: CommentNode | undefined;
  // The parser sees the tokens other than comments and bad characters ("kept"). Only the first
  // three and the last are needed unless the line goes to chevrotain: no list of them per line.
  let kept = 0;
  let k0 = -1;
  let k1 = -1;
  let k2 = -1;
  let kLast = -1;
  for (let k = i; k < j; k++) {
    const kd = kind[k]!;
    if (kd === Tok.Comment) comment = { text: text.slice(start[k]!, tend[k]!), start: start[k]! - base, end: tend[k]! - base };
    else if (kd === Tok.Bad) {
      const bad = text.slice(start[k]!, tend[k]!);
      errors.push({
        start: start[k]! - base,
        end: tend[k]! - base,
        message: `unexpected character${bad.length > 1 ? 's' : ''} '${printable(bad)}': not part of the assembly syntax (comments start with ; or //)`,
      });
    } else {
      if (kd === Tok.UnterminatedString) errors.push({ start: start[k]! - base, end: tend[k]! - base, message: 'this string has no closing " before the end of the line' });
      if (kept === 0) k0 = k;
      else if (kept === 1) k1 = k;
      else if (kept === 2) k2 = k;
      kLast = k;
      kept++;
    }
  }
  let label: Ident | undefined;
  let p = 0;
  if (kept >= 2 && kind[k0] === Tok.Identifier && kind[k1] === Tok.Colon) {
    label = { text: text.slice(start[k0]!, tend[k0]!), start: start[k0]! - base, end: tend[k0]! - base };
    p = 2;
  }
  let statement: InstructionNode | DirectiveNode | undefined;
  if (p < kept) {
    const first = p === 0 ? k0 : k2;
    // The fast path needs contiguous tokens: only when nothing was filtered out between them.
    const contiguous = kLast - first === kept - 1 - p;
    if (!options.chevrotainOnly && contiguous) statement = fast.statement(first, kLast + 1, base);
    if (!statement) {
      const idx: number[] = [];
      for (let k = first; k <= kLast; k++) if (kind[k] !== Tok.Comment && kind[k] !== Tok.Bad) idx.push(k);
      statement = slowStatement(text, t, idx, base, lineEnd - base, errors);
    }
    if (statement) checkNumbers(statement, errors);
  }
  if (errors.length > 1) errors.sort((x, y) => x.start - y.start);
  // One object shape for every line (absent parts are undefined), so consumers stay monomorphic.
  return { label, statement, comment, errors };
}

/** The chevrotain parse of one statement; offsets relative to `base`, errors pushed to `errors`. */
function slowStatement(text: string, t: TokenArrays, idx: number[], base: number, lineEnd: number, errors: SyntaxError[]): InstructionNode | DirectiveNode | undefined {
  const parser = (parserInstance ??= new LineParser());
  const tokens: IToken[] = idx.map((j) => {
    const s = t.start[j]!;
    const e = t.end[j]!;
    return createTokenInstance(TYPE_OF[t.kind[j] as Tok]!, text.slice(s, e), s - base, e - base - 1, NaN, NaN, NaN, NaN);
  });
  try {
    parser.input = tokens;
    const statement = parser.statement();
    if (parser.errors.length === 0) return statement;
    for (const e of parser.errors) {
      const tok = e.token;
      const s = tok.image === '' || Number.isNaN(tok.startOffset) ? lineEnd : tok.startOffset;
      errors.push({ start: s, end: Math.max(s + 1, s + tok.image.length), message: e.message });
    }
  } catch (e) {
    errors.push({ start: tokens[0]?.startOffset ?? lineEnd, end: lineEnd, message: `internal parser failure on this line: ${String(e)}` });
  }
  return undefined;
}

function checkNumbers(s: InstructionNode | DirectiveNode, errors: SyntaxError[]): void {
  if (s.kind === 'instruction') for (const f of s.fields) checkNumbersIn(f.value, errors);
  else for (const a of s.args) for (const v of a.values) checkNumbersIn(v, errors);
}

// A function of its own, not a closure made per line.
function checkNumbersIn(v: ValueNode | undefined, errors: SyntaxError[]): void {
  if (!v) return;
  if (v.kind === 'number') {
    if (!Number.isFinite(v.value)) errors.push({ start: v.start, end: v.end, message: `malformed number: write decimal (42), hex (0x2a) or binary (0b101010)` });
    else if (v.value > Number.MAX_SAFE_INTEGER) errors.push({ start: v.start, end: v.end, message: `number too large` });
  } else if (v.kind === 'binary') {
    checkNumbersIn(v.left, errors);
    checkNumbersIn(v.right, errors);
  } else if (v.kind === 'neg') checkNumbersIn(v.operand, errors);
  else if (v.kind === 'index') checkNumbersIn(v.index, errors);
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
