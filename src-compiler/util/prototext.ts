// A parser for protobuf text format (the format of Caffe prototxt files and Vitis AI target descriptions).
//
// It is schema-free: a message is a list of (name, value) entries in file order, values being scalars
// or nested messages, each keeping its line and column. Readers of a particular schema (Caffe's
// NetParameter, Vitis AI's Target) interpret the entries; this module only checks the syntax.

export type PtScalar = string | number | boolean;

export interface PtEntry {
  readonly name: string;
  /** A nested message, or a scalar: a quoted string (unescaped), a number, or a bare identifier (enum). */
  readonly value: PtMessage | PtScalar;
  /** True when the value was a bare identifier (an enum name or true/false), not a quoted string. */
  readonly bare: boolean;
  readonly line: number;
  readonly col: number;
}

export interface PtMessage {
  readonly entries: PtEntry[];
  readonly line: number;
  readonly col: number;
}

export class PrototextError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

export function isMessage(v: PtMessage | PtScalar): v is PtMessage {
  return typeof v === 'object' && v !== null;
}

/** Parse a whole document. Throws PrototextError (with 1-based line and column) on a syntax error. */
export function parsePrototext(text: string): PtMessage {
  const p = new Parser(text);
  const root = p.message(true, 1, 1);
  return root;
}

class Parser {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  constructor(private readonly s: string) {}

  private col(): number {
    return this.i - this.lineStart + 1;
  }

  private error(msg: string): never {
    throw new PrototextError(msg, this.line, this.col());
  }

  private skip(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 10) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === 32 || c === 9 || c === 13 || c === 44 || c === 59) {
        // Spaces, tabs, and the optional ',' or ';' separators between fields.
        this.i++;
      } else if (c === 35) {
        while (this.i < s.length && s.charCodeAt(this.i) !== 10) this.i++;
      } else return;
    }
  }

  message(top: boolean, line: number, col: number): PtMessage {
    const entries: PtEntry[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.s.length) {
        if (!top) throw new PrototextError(`the message opened at line ${line} is never closed with '}'`, line, col);
        return { entries, line, col };
      }
      const c = this.s[this.i];
      if (c === '}' || c === '>') {
        if (top) this.error(`unexpected '${c}' with no open message`);
        this.i++;
        return { entries, line, col };
      }
      const eLine = this.line;
      const eCol = this.col();
      const name = this.ident();
      if (!name) this.error(`expected a field name, found ${this.describe()}`);
      this.skip();
      let hadColon = false;
      if (this.s[this.i] === ':') {
        this.i++;
        hadColon = true;
        this.skip();
      }
      const d = this.s[this.i];
      if (d === '{' || d === '<') {
        const mLine = this.line;
        const mCol = this.col();
        this.i++;
        const m = this.message(false, mLine, mCol);
        entries.push({ name, value: m, bare: false, line: eLine, col: eCol });
      } else if (d === '[') {
        // A list of scalars: `dim: [1, 3, 224, 224]`. Each element becomes its own entry.
        this.i++;
        for (;;) {
          this.skip();
          if (this.s[this.i] === ']') {
            this.i++;
            break;
          }
          const v = this.scalar(name);
          entries.push({ name, value: v.value, bare: v.bare, line: eLine, col: eCol });
        }
      } else {
        if (!hadColon) this.error(`expected ':' or '{' after field name '${name}', found ${this.describe()}`);
        const v = this.scalar(name);
        entries.push({ name, value: v.value, bare: v.bare, line: eLine, col: eCol });
      }
    }
  }

  private describe(): string {
    if (this.i >= this.s.length) return 'the end of the file';
    const c = this.s[this.i]!;
    return c === '\n' ? 'the end of the line' : `'${c}'`;
  }

  private ident(): string {
    const m = /[A-Za-z_][A-Za-z0-9_.]*/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r) return '';
    this.i += r[0].length;
    return r[0];
  }

  private scalar(field: string): { value: PtScalar; bare: boolean } {
    const c = this.s[this.i];
    if (c === '"' || c === "'") {
      // Adjacent string literals concatenate, as in protobuf text format.
      let out = '';
      while (this.s[this.i] === '"' || this.s[this.i] === "'") {
        out += this.string();
        this.skip();
      }
      return { value: out, bare: false };
    }
    const num = /[-+]?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fF]?|inf(inity)?|nan)/iy;
    num.lastIndex = this.i;
    const r = num.exec(this.s);
    if (r && !/[A-Za-z_]/.test(this.s[this.i + r[0].length] ?? '')) {
      this.i += r[0].length;
      let t = r[0].replace(/[fF]$/, '');
      const neg = t.startsWith('-');
      const body = t.replace(/^[-+]/, '');
      let v: number;
      if (/^0x/i.test(body)) v = parseInt(body, 16);
      else if (/^inf/i.test(body)) v = Infinity;
      else if (/^nan$/i.test(body)) v = NaN;
      else v = Number(body);
      return { value: neg ? -v : v, bare: false };
    }
    const id = this.ident();
    if (id) {
      if (id === 'true' || id === 'True') return { value: true, bare: true };
      if (id === 'false' || id === 'False') return { value: false, bare: true };
      return { value: id, bare: true };
    }
    this.error(`expected a value for field '${field}', found ${this.describe()}`);
  }

  private string(): string {
    const q = this.s[this.i]!;
    const startLine = this.line;
    const startCol = this.col();
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length || this.s[this.i] === '\n')
        throw new PrototextError('a string is never closed before the end of the line', startLine, startCol);
      const c = this.s[this.i]!;
      if (c === q) {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const n = this.s[this.i + 1];
        const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        if (n !== undefined && esc[n] !== undefined) {
          out += esc[n];
          this.i += 2;
          continue;
        }
      }
      out += c;
      this.i++;
    }
  }
}

/** Entries of `m` with name `name`. */
export function ptAll(m: PtMessage, name: string): PtEntry[] {
  return m.entries.filter((e) => e.name === name);
}

/** The last entry named `name` (protobuf semantics for a repeated singular field), if any. */
export function ptGet(m: PtMessage, name: string): PtEntry | undefined {
  let found: PtEntry | undefined;
  for (const e of m.entries) if (e.name === name) found = e;
  return found;
}
