// Breakpoint conditions and debug-console expressions: a small, safe expression language (never
// JavaScript's eval). Numbers, strings ('x' or "x"), names, ( ), ! and unary -, * / %, + -,
// < <= > >=, == !=, &&, ||. Names are looked up in an environment the caller gives (cycle, core,
// engine, line, the instruction's fields, ...); an unknown name is an error that lists the known ones.
//
//   const e = parseExpression('cycle > 1000 && engine == CONV');   // throws ExprError with the column
//   evaluate(e, env)                                              // number | string | boolean

export class ExprError extends Error {
  constructor(
    message: string,
    /** 0-based character offset in the expression. */
    readonly at: number,
  ) {
    super(message);
  }
}

export type Value = number | string | boolean;

export type Expr =
  | { readonly kind: 'num'; readonly value: number; readonly at: number }
  | { readonly kind: 'str'; readonly value: string; readonly at: number }
  | { readonly kind: 'name'; readonly name: string; readonly at: number }
  | { readonly kind: 'unary'; readonly op: '!' | '-'; readonly arg: Expr; readonly at: number }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly at: number };

interface Token {
  readonly kind: 'num' | 'str' | 'name' | 'op' | 'end';
  readonly text: string;
  readonly value?: number | string;
  readonly at: number;
}

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(0x[0-9a-f_]+|0b[01_]+|\d[\d_]*(\.\d+)?(e[+-]?\d+)?)/i.exec(src.slice(i));
    if (num) {
      const text = num[0];
      const clean = text.replace(/_/g, '');
      const value = /^0b/i.test(clean) ? parseInt(clean.slice(2), 2) : Number(clean);
      if (!Number.isFinite(value)) throw new ExprError(`'${text}' is not a number`, i);
      out.push({ kind: 'num', text, value, at: i });
      i += text.length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (name) {
      out.push({ kind: 'name', text: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprError(`the string starting at column ${i + 1} has no closing ${c}`, i);
      out.push({ kind: 'str', text: src.slice(i, end + 1), value: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, at: i });
      i += op.length;
      continue;
    }
    if (c === '=') throw new ExprError(`'=' at column ${i + 1}: compare with '=='`, i);
    if (c === '&' || c === '|') throw new ExprError(`'${c}' at column ${i + 1}: use '${c}${c}'`, i);
    throw new ExprError(`unexpected '${c}' at column ${i + 1}`, i);
  }
  out.push({ kind: 'end', text: '', at: src.length });
  return out;
}

const PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };

export function parseExpression(src: string): Expr {
  if (src.trim() === '') throw new ExprError('the expression is empty', 0);
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p]!;
  const primary = (): Expr => {
    const t = toks[p++]!;
    if (t.kind === 'num') return { kind: 'num', value: t.value as number, at: t.at };
    if (t.kind === 'str') return { kind: 'str', value: t.value as string, at: t.at };
    if (t.kind === 'name') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'num', value: t.text === 'true' ? 1 : 0, at: t.at };
      return { kind: 'name', name: t.text, at: t.at };
    }
    if (t.kind === 'op' && (t.text === '!' || t.text === '-')) return { kind: 'unary', op: t.text, arg: primary(), at: t.at };
    if (t.kind === 'op' && t.text === '(') {
      const e = binary(0);
      const close = toks[p++]!;
      if (close.text !== ')') throw new ExprError(`expected ')' at column ${close.at + 1} to close the '(' at column ${t.at + 1}`, close.at);
      return e;
    }
    if (t.kind === 'end') throw new ExprError('the expression ends where a value is expected', t.at);
    throw new ExprError(`expected a value at column ${t.at + 1}, found '${t.text}'`, t.at);
  };
  const binary = (min: number): Expr => {
    let left = primary();
    for (;;) {
      const t = peek();
      const prec = t.kind === 'op' ? PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec <= min) return left;
      p++;
      const right = binary(prec);
      left = { kind: 'binary', op: t.text, left, right, at: t.at };
    }
  };
  const e = binary(0);
  const rest = peek();
  if (rest.kind !== 'end') throw new ExprError(`unexpected '${rest.text}' at column ${rest.at + 1}: join conditions with && or ||`, rest.at);
  return e;
}

/** Names an expression refers to, so that a caller can check them against an environment up front. */
export function namesIn(e: Expr, out: Set<string> = new Set()): Set<string> {
  if (e.kind === 'name') out.add(e.name);
  else if (e.kind === 'unary') namesIn(e.arg, out);
  else if (e.kind === 'binary') {
    namesIn(e.left, out);
    namesIn(e.right, out);
  }
  return out;
}

export type Env = (name: string) => Value | undefined;

const truthy = (v: Value) => (typeof v === 'string' ? v.length > 0 : Boolean(v));

export function evaluate(e: Expr, env: Env): Value {
  switch (e.kind) {
    case 'num':
    case 'str':
      return e.value;
    case 'name': {
      const v = env(e.name);
      if (v === undefined) throw new ExprError(`unknown name '${e.name}'`, e.at);
      return v;
    }
    case 'unary': {
      const v = evaluate(e.arg, env);
      if (e.op === '!') return !truthy(v);
      if (typeof v !== 'number') throw new ExprError(`'-' needs a number, not ${JSON.stringify(v)}`, e.at);
      return -v;
    }
    case 'binary': {
      if (e.op === '&&') return truthy(evaluate(e.left, env)) && truthy(evaluate(e.right, env));
      if (e.op === '||') return truthy(evaluate(e.left, env)) || truthy(evaluate(e.right, env));
      const a = evaluate(e.left, env);
      const b = evaluate(e.right, env);
      if (e.op === '==' || e.op === '!=') {
        // Names compare without regard to case (engine == conv), numbers as numbers.
        const same = typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : Number(a) === Number(b) && typeof a !== 'string' && typeof b !== 'string';
        return e.op === '==' ? same : !same;
      }
      if (typeof a !== 'number' && typeof a !== 'boolean') throw new ExprError(`'${e.op}' needs numbers; the left side is ${JSON.stringify(a)}`, e.at);
      if (typeof b !== 'number' && typeof b !== 'boolean') throw new ExprError(`'${e.op}' needs numbers; the right side is ${JSON.stringify(b)}`, e.at);
      const x = Number(a);
      const y = Number(b);
      switch (e.op) {
        case '<':
          return x < y;
        case '<=':
          return x <= y;
        case '>':
          return x > y;
        case '>=':
          return x >= y;
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          return x / y;
        case '%':
          return x % y;
      }
      throw new ExprError(`unknown operator '${e.op}'`, e.at);
    }
  }
}

export function isTrue(v: Value): boolean {
  return truthy(v);
}

/** A breakpoint hit condition: `N` or `== N` (the N-th hit), `>= N`, `> N`, `< N`, `<= N`, `% N` (every N-th). */
export type HitCondition = (hit: number) => boolean;

export function parseHitCondition(src: string): HitCondition {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(src);
  if (!m) throw new ExprError(`hit count '${src}' is not one of: N, == N, >= N, > N, <= N, < N, % N (N a whole number)`, 0);
  const n = Number(m[2]);
  switch (m[1] ?? '==') {
    case '==':
      return (h) => h === n;
    case '>=':
      return (h) => h >= n;
    case '>':
      return (h) => h > n;
    case '<=':
      return (h) => h <= n;
    case '<':
      return (h) => h < n;
    default:
      if (n === 0) throw new ExprError(`hit count '% 0': the divisor must be at least 1`, 0);
      return (h) => h % n === 0;
  }
}
