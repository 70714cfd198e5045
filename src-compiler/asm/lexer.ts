// The .dnnasm scanner: a hand-written loop over char codes that fills flat token arrays.
//
// Why hand-written: a compiled ResNet-50 program is ~10^5 instructions and a few MB of text, and the
// assembler's budget is 500 ms for that. Chevrotain's regex lexer spends ~250 ns per token here; this
// loop spends a fraction of that and allocates nothing per token. The chevrotain parser consumes the
// same tokens (converted on demand, see parser.ts), so there is still one token vocabulary.

export const enum Tok {
  Identifier,
  Number,
  String,
  Directive,
  Colon,
  Equals,
  Comma,
  Pipe,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Plus,
  Minus,
  Star,
  Comment,
  Newline,
  /** A character that belongs to no token: reported as a syntax error, then skipped. */
  Bad,
  /** A string with no closing quote before the end of the line. */
  UnterminatedString,
}

export interface TokenArrays {
  count: number;
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
}

// Character classes of ASCII, by table: bits, so that one load answers "identifier part?" or
// "whitespace?" (the scanner's two hot questions) without a chain of comparisons.
const IDENT_START = 1;
const DIGIT = 2;
const IDENT_PART = IDENT_START | DIGIT;
const SPACE = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) CLASS[c] = IDENT_START;
  else if (c >= 48 && c <= 57) CLASS[c] = DIGIT;
  else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) CLASS[c] = SPACE;
}
function isIdentStart(c: number): boolean {
  return c < 128 && CLASS[c] === IDENT_START;
}
function isIdentPart(c: number): boolean {
  return c < 128 && (CLASS[c]! & IDENT_PART) !== 0;
}
/** Whitespace the scanner drops (newline is a token; no-break space and BOM count as spaces). */
function isSpace(c: number): boolean {
  return c < 128 ? CLASS[c] === SPACE : c === 0xa0 || c === 0xfeff;
}
/** The end of the run of identifier parts that starts at i. */
function identPartsEnd(text: string, i: number, n: number): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & IDENT_PART) === 0) break;
    i++;
  }
  return i;
}

/** Growable flat token arrays (a class, so that V8 keeps the hot push monomorphic). */
export class TokenBuffer implements TokenArrays {
  count = 0;
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  constructor(private cap: number) {
    this.kind = new Uint8Array(cap);
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
  }
  push(k: Tok, s: number, e: number): void {
    if (this.count === this.cap) this.grow();
    const i = this.count++;
    this.kind[i] = k;
    this.start[i] = s;
    this.end[i] = e;
  }
  private grow(): void {
    this.cap *= 2;
    const k = new Uint8Array(this.cap);
    k.set(this.kind);
    this.kind = k;
    const s = new Int32Array(this.cap);
    s.set(this.start);
    this.start = s;
    const e = new Int32Array(this.cap);
    e.set(this.end);
    this.end = e;
  }
}

/** Scan the whole text. Whitespace is dropped; comments and newlines are tokens. */
export function scan(text: string): TokenArrays {
  const out = new TokenBuffer(Math.max(64, text.length >> 2));
  let i = 0;
  while (i < text.length) i = scanLine(text, i, out);
  return out;
}

/**
 * Scan from offset `from` through the end of its line: append the line's tokens to `out`, ending with
 * its Newline token unless the text ends first, and return the offset after it. No token spans a
 * newline (strings, comments and runs of bad characters stop before one), so line by line gives
 * the same tokens as the whole text at once. The assembler scans one line at a time into a small
 * buffer that it reuses: the tokens of a 15 MB program as a whole take 35 MB of fresh memory
 * that each run must fault in and fill.
 */
export function scanLine(text: string, from: number, out: TokenBuffer): number {
  const push = (k: Tok, s: number, e: number) => out.push(k, s, e);
  const n = text.length;
  let i = from;
  while (i < n) {
    const c = text.charCodeAt(i);
    // Identifiers, then spaces, are most of a program's characters: their tests come first.
    const cls = c < 128 ? CLASS[c]! : 0;
    if (cls === SPACE || (c >= 128 && isSpace(c))) {
      i++;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      continue;
    }
    const s = i;
    if (cls === IDENT_START) {
      i = identPartsEnd(text, i + 1, n);
      push(Tok.Identifier, s, i);
    } else if (cls === DIGIT) {
      // Numbers glued to letters (`12ab`, `0x1g`) stay one token so the error names all of it.
      i = identPartsEnd(text, i + 1, n);
      push(Tok.Number, s, i);
    } else if (c === 10) {
      push(Tok.Newline, s, i + 1);
      return i + 1;
    } else if (c === 61) push(Tok.Equals, s, ++i);
    else if (c === 44) push(Tok.Comma, s, ++i);
    else if (c === 59 || (c === 47 && text.charCodeAt(i + 1) === 47)) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      push(Tok.Comment, s, i);
    } else if (c === 58) push(Tok.Colon, s, ++i);
    else if (c === 124) push(Tok.Pipe, s, ++i);
    else if (c === 91) push(Tok.LBracket, s, ++i);
    else if (c === 93) push(Tok.RBracket, s, ++i);
    else if (c === 43) push(Tok.Plus, s, ++i);
    else if (c === 45) push(Tok.Minus, s, ++i);
    else if (c === 42) push(Tok.Star, s, ++i);
    else if (c === 40) push(Tok.LParen, s, ++i);
    else if (c === 41) push(Tok.RParen, s, ++i);
    else if (c === 46 && i + 1 < n && isIdentStart(text.charCodeAt(i + 1))) {
      i = identPartsEnd(text, i + 2, n);
      push(Tok.Directive, s, i);
    } else if (c === 34) {
      i++;
      let closed = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 10) break;
        if (d === 92 && i + 1 < n && text.charCodeAt(i + 1) !== 10) {
          i += 2;
          continue;
        }
        i++;
        if (d === 34) {
          closed = true;
          break;
        }
      }
      push(closed ? Tok.String : Tok.UnterminatedString, s, i);
    } else {
      // Keep a run of stray characters as one error token (surrogate pairs stay whole).
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 32 || d === 9 || d === 10 || d === 13 || isIdentPart(d) || '=,;:|[]+-*()".'.includes(text[i]!)) break;
        i++;
      }
      push(Tok.Bad, s, i);
    }
  }
  return i;
}
