// A small, strict command-line parser: known options only, each with its value kind, so that a typo is
// an error that names the option instead of being ignored.

import { UserError } from '../util/errors';

export interface OptionSpec {
  readonly name: string;
  readonly alias?: string;
  readonly takesValue: boolean;
  readonly help: string;
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly options: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const key = eq >= 0 ? a.slice(0, eq) : a;
      const spec = specs.find((s) => `--${s.name}` === key || (s.alias && `-${s.alias}` === key));
      if (!spec) {
        const known = specs.map((s) => `--${s.name}`).join(', ') || 'none';
        throw new UserError(`dnnvm ${command}: unknown option '${key}' (options: ${known})`);
      }
      if (spec.takesValue) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || v === '') throw new UserError(`dnnvm ${command}: option --${spec.name} needs a value`);
        options.set(spec.name, v);
      } else {
        if (eq >= 0) throw new UserError(`dnnvm ${command}: option --${spec.name} takes no value`);
        options.set(spec.name, true);
      }
    } else positional.push(a);
  }
  return { positional, options };
}

export function optString(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function optFlag(p: ParsedArgs, name: string): boolean {
  return p.options.get(name) === true;
}
