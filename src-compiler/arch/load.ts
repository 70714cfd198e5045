// Resolving an architecture from what a user names: a board preset, a DPU configuration, an
// architecture JSON file (validated against arch.schema.json) or a Vitis AI target description.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { ptAll, ptGet, parsePrototext, PrototextError, isMessage, type PtMessage } from '../util/prototext';
import { UserError } from '../util/errors';
import { deriveArch, type Arch, type ArchSpec, type DpuConfig, type Nonlinear } from './model';
import { BOARD_PRESETS, DPU_CONFIGS, boardByName, dpuConfigByName, genericBoard } from './presets';
import { ARCH_SCHEMA, DPU_SCHEMA } from './schema';

/** Resolve `--arch A`: a preset or configuration name, or a path to a .json or .prototxt file. */
export function resolveArch(nameOrPath: string, baseDir = process.cwd()): Arch {
  const board = boardByName(nameOrPath);
  if (board) return board;
  const dpu = dpuConfigByName(nameOrPath);
  if (dpu) return deriveArch(genericBoard(dpu, `PG338 configuration ${dpu.name}`));
  const file = path.resolve(baseDir, nameOrPath);
  if (/\.(json|prototxt)$/i.test(nameOrPath) || fs.existsSync(file)) {
    if (!fs.existsSync(file)) throw new UserError(`architecture file not found: ${file}`, { file });
    return loadArchFile(file);
  }
  throw new UserError(
    `unknown architecture '${nameOrPath}'. Use a board preset (${BOARD_PRESETS.map((b) => b.name).join(', ')}), ` +
      `a DPU configuration (${DPU_CONFIGS.map((c) => c.name).join(', ')}), an architecture .json file or a Vitis AI target .prototxt`,
  );
}

export function loadArchFile(file: string): Arch {
  const text = fs.readFileSync(file, 'utf8');
  if (/\.prototxt$/i.test(file)) return deriveArch(genericBoard(importVitisTarget(text, file), `Vitis AI target ${path.basename(file)}`));
  return parseArchJson(text, file);
}

let validate: ReturnType<Ajv['compile']> | undefined;
let validateDpu: ReturnType<Ajv['compile']> | undefined;

/** Parse and validate an architecture JSON document; errors name the file, line and JSON path. */
export function parseArchJson(text: string, file: string): Arch {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    const loc = m ? lineCol(text, Number(m[1])) : { line: 1, col: 1 };
    throw new UserError(`not valid JSON: ${(e as Error).message}`, { file, ...loc });
  }
  validate ??= new Ajv({ allErrors: true, strict: true }).compile(ARCH_SCHEMA);
  if (!validate(doc)) {
    const err = validate.errors![0]!;
    const where = err.instancePath || '(top level)';
    const extra = err.keyword === 'additionalProperties' ? ` '${(err.params as { additionalProperty: string }).additionalProperty}'` : '';
    throw new UserError(`${where} ${err.message}${extra}; see the architecture schema (docs/architecture.md)`, {
      file,
      ...locateJsonPath(text, err.instancePath),
    });
  }
  const d = doc as ArchJson;
  const base = d.base ? boardByName(d.base) : undefined;
  if (d.base && !base)
    throw new UserError(`"base": '${d.base}' is not a board preset (${BOARD_PRESETS.map((b) => b.name).join(', ')})`, { file, ...locateJsonPath(text, '/base') });
  let dpu: DpuConfig | undefined = base?.dpu;
  if (d.dpu !== undefined) dpu = resolveDpu(d.dpu, file, text);
  const missing = (['cores', 'frequencyMHz', 'ddr'] as const).filter((k) => d[k] === undefined && !base);
  if (!dpu) missing.unshift('dpu' as never);
  if (missing.length) throw new UserError(`missing ${missing.map((m) => `"${m}"`).join(', ')}: give them, or a "base" board preset to take them from`, { file, line: 1, col: 1 });
  const spec: ArchSpec = {
    name: d.name,
    description: d.description ?? base?.description ?? d.name,
    dpu: dpu!,
    cores: d.cores ?? base!.cores,
    frequencyMHz: d.frequencyMHz ?? base!.frequencyMHz,
    ddr: { ...(base?.ddr ?? {}), ...(d.ddr ?? {}) } as ArchSpec['ddr'],
    axi: { ...(base?.axi ?? { dataPorts: 2, portBytes: 16 }), ...(d.axi ?? {}) },
    sources: { ...(base?.sources ?? {}), ...(d.sources ?? {}), file },
  };
  const ddrMissing = (['type', 'busWidthBits', 'megaTransfersPerSecond', 'efficiency', 'latencyNs'] as const).filter((k) => spec.ddr[k] === undefined);
  if (ddrMissing.length) throw new UserError(`"ddr" lacks ${ddrMissing.join(', ')}`, { file, ...locateJsonPath(text, '/ddr') });
  return deriveArch(spec);
}

interface ArchJson {
  name: string;
  description?: string;
  base?: string;
  dpu?: string | (Partial<DpuConfig> & { base?: string; target?: string });
  cores?: number;
  frequencyMHz?: number;
  ddr?: Partial<ArchSpec['ddr']>;
  axi?: Partial<ArchSpec['axi']>;
  sources?: Record<string, string>;
}

function resolveDpu(d: NonNullable<ArchJson['dpu']>, file: string, text: string): DpuConfig {
  if (typeof d === 'string') {
    const c = dpuConfigByName(d);
    if (!c) throw new UserError(`"dpu": '${d}' is not a PG338 configuration (${DPU_CONFIGS.map((x) => x.name).join(', ')})`, { file, ...locateJsonPath(text, '/dpu') });
    return c;
  }
  let base: DpuConfig | undefined;
  if (d.target) {
    const t = path.resolve(path.dirname(file), d.target);
    if (!fs.existsSync(t)) throw new UserError(`"dpu.target": file not found: ${t}`, { file, ...locateJsonPath(text, '/dpu/target') });
    base = importVitisTarget(fs.readFileSync(t, 'utf8'), t);
  } else if (d.base) {
    base = dpuConfigByName(d.base);
    if (!base) throw new UserError(`"dpu.base": '${d.base}' is not a PG338 configuration`, { file, ...locateJsonPath(text, '/dpu/base') });
  }
  const { base: _b, target: _t, ...over } = d;
  const merged = { ...(base ?? {}), ...over } as Partial<DpuConfig>;
  const need = ['name', 'pp', 'icp', 'ocp'] as const;
  const lacking = need.filter((k) => merged[k] === undefined);
  if (lacking.length) throw new UserError(`"dpu" lacks ${lacking.join(', ')} (or a "base" configuration to take them from)`, { file, ...locateJsonPath(text, '/dpu') });
  const pp = merged.pp!;
  const icp = merged.icp!;
  if (merged.icp !== merged.ocp) throw new UserError(`"dpu": icp (${icp}) must equal ocp (${merged.ocp}) in this DPU family`, { file, ...locateJsonPath(text, '/dpu') });
  return Object.freeze({
    name: merged.name!,
    pp,
    icp,
    ocp: merged.ocp!,
    bankDepth: merged.bankDepth ?? 2048,
    imageBankGroups: merged.imageBankGroups ?? 2,
    poolPP: merged.poolPP ?? pp / 2,
    dwPP: merged.dwPP ?? pp / 2,
    elewPP: merged.elewPP ?? pp / 2,
    miscCP: merged.miscCP ?? icp,
    convKernel: (merged.convKernel ?? [1, 16]) as readonly [number, number],
    convStride: (merged.convStride ?? [1, 8]) as readonly [number, number],
    nonlinear: (merged.nonlinear ?? ['relu', 'leaky_relu', 'relu6']) as DpuConfig['nonlinear'],
    channelAugmentation: merged.channelAugmentation ?? 2 * icp,
    convPipelineCycles: merged.convPipelineCycles ?? 24,
    miscPipelineCycles: merged.miscPipelineCycles ?? 12,
    initCycles: merged.initCycles ?? 4,
  });
}

/**
 * Read a Vitis AI target description (text-format `Target` message of target.proto) into a DPU
 * configuration. The bank layout is checked against the one the model derives, so that bank ids in
 * programs mean the same thing on both.
 */
export function importVitisTarget(text: string, file: string): DpuConfig {
  let root: PtMessage;
  try {
    root = parsePrototext(text);
  } catch (e) {
    if (e instanceof PrototextError) throw new UserError(e.message, { file, line: e.line, col: e.col });
    throw e;
  }
  const str = (m: PtMessage, k: string) => {
    const e = ptGet(m, k);
    return e && !isMessage(e.value) ? String(e.value) : undefined;
  };
  const num = (m: PtMessage, k: string, what: string): number => {
    const e = ptGet(m, k);
    if (!e || typeof e.value !== 'number') throw new UserError(`${what}: missing numeric field '${k}'`, { file, line: e?.line ?? m.line, col: e?.col ?? m.col });
    return e.value;
  };
  const msg = (m: PtMessage, k: string): PtMessage => {
    const e = ptGet(m, k);
    if (!e || !isMessage(e.value)) throw new UserError(`missing '${k} { ... }' block`, { file, line: m.line, col: m.col });
    return e.value;
  };
  const type = str(root, 'type');
  if (type !== 'DPUCZDX8G')
    throw new UserError(`target type '${type ?? '(none)'}' is not DPUCZDX8G; only the Zynq DPU (DPUV2 ISA) is modelled`, { file, ...(ptGet(root, 'type') ?? { line: 1, col: 1 }) });
  const name = str(root, 'name') ?? path.basename(file);
  const conv = msg(root, 'conv_engine');
  const pp = num(conv, 'pixel_parallel', 'conv_engine');
  const icp = num(conv, 'input_channel_parallel', 'conv_engine');
  const ocp = num(conv, 'output_channel_parallel', 'conv_engine');
  const groups = ptAll(root, 'bank_group').map((e) => {
    const m = e.value as PtMessage;
    return { name: str(m, 'name') ?? '', baseId: num(m, 'base_id', 'bank_group'), count: num(m, 'bank_num', 'bank_group'), width: num(m, 'bank_width', 'bank_group'), depth: num(m, 'bank_depth', 'bank_group'), line: e.line, col: e.col };
  });
  const image = groups.filter((g) => /^VB\d+$/.test(g.name));
  const depth = groups[0]?.depth ?? 2048;
  const elew = ptGet(root, 'eltwise_engine');
  const alu = ptGet(root, 'alu_engine');
  const miscPP = (e: typeof elew) => (e && isMessage(e.value) ? num(e.value, 'pixel_parallel', e.name) : pp / 2);
  const nonlinear: Nonlinear[] = [];
  const nl = ptGet(conv, 'nonlinear');
  if (nl && isMessage(nl.value))
    for (const t of ptAll(nl.value, 'nonlinear_type')) {
      const v = String(t.value);
      const mapped = v === 'relu_six' ? 'relu6' : v;
      if (mapped === 'relu' || mapped === 'leaky_relu' || mapped === 'relu6') nonlinear.push(mapped);
    }
  const range = (m: PtMessage | undefined, k: string, dflt: [number, number]): [number, number] => {
    const v = m ? str(m, k) : undefined;
    const r = v ? /^(\d+)-(\d+)$/.exec(v) : null;
    return r ? [Number(r[1]), Number(r[2])] : dflt;
  };
  const limitE = ptGet(conv, 'conv_limit');
  const limit = limitE && isMessage(limitE.value) ? limitE.value : undefined;
  const augE = ptGet(conv, 'channel_augmentation');
  const dpu: DpuConfig = Object.freeze({
    name,
    pp,
    icp,
    ocp,
    bankDepth: depth,
    imageBankGroups: image.length,
    poolPP: miscPP(alu),
    dwPP: miscPP(alu),
    elewPP: miscPP(elew),
    miscCP: icp,
    convKernel: range(limit, 'kernel_size', [1, 16]),
    convStride: range(limit, 'stride', [1, 8]),
    nonlinear,
    channelAugmentation: augE && isMessage(augE.value) ? num(augE.value, 'channel_num', 'channel_augmentation') : 2 * icp,
    convPipelineCycles: 24,
    miscPipelineCycles: 12,
    initCycles: 4,
  });
  // The configuration the file describes must be one the model can hold, checked by the same schema
  // as architecture files, before anything is derived from it: a bank count of a hundred million
  // would otherwise be an array of a hundred million banks (found by fuzzing).
  validateDpu ??= new Ajv({ allErrors: true, strict: true }).compile(DPU_SCHEMA);
  if (!validateDpu({ ...dpu })) {
    const err = validateDpu.errors![0]!;
    const key = err.instancePath.split('/')[1] ?? '';
    const from: Record<string, [string, { line: number; col: number }]> = {
      pp: ['conv_engine pixel_parallel', ptGet(conv, 'pixel_parallel') ?? conv],
      icp: ['conv_engine input_channel_parallel', ptGet(conv, 'input_channel_parallel') ?? conv],
      ocp: ['conv_engine output_channel_parallel', ptGet(conv, 'output_channel_parallel') ?? conv],
      miscCP: ['conv_engine input_channel_parallel', ptGet(conv, 'input_channel_parallel') ?? conv],
      bankDepth: ['bank_group bank_depth', groups[0] ?? root],
      imageBankGroups: ['the VB bank_groups', image[0] ?? root],
    };
    const [field, at] = from[key] ?? [`dpu ${key}`, conv];
    const value = (dpu as unknown as Record<string, unknown>)[key];
    throw new UserError(`${field}: the configuration it gives (${key} = ${JSON.stringify(value)}) ${err.message} in this DPU family; see docs/architecture.md`, { file, line: at.line, col: at.col });
  }
  // The model derives bank ids; the file states them. They must agree.
  const derived = deriveArch(genericBoard(dpu, name)).bankGroups;
  for (const g of groups) {
    const d = derived.find((x) => x.name === g.name);
    if (!d) throw new UserError(`bank_group '${g.name}' has no counterpart in the model (VB0.., CONVW, DWCONVW, BIAS)`, { file, line: g.line, col: g.col });
    if (d.baseId !== g.baseId || d.count !== g.count || d.width !== g.width || d.depth !== g.depth)
      throw new UserError(
        `bank_group '${g.name}' (base_id ${g.baseId}, ${g.count} x ${g.width} B x ${g.depth}) differs from the layout the model derives (base_id ${d.baseId}, ${d.count} x ${d.width} B x ${d.depth})`,
        { file, line: g.line, col: g.col },
      );
  }
  return dpu;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  return { line, col: offset - last };
}

/** Best-effort location of a JSON pointer's last key in the source text (for error messages). */
function locateJsonPath(text: string, pointer: string): { line: number; col: number } {
  const key = pointer.split('/').filter(Boolean).pop();
  if (!key) return { line: 1, col: 1 };
  const i = text.indexOf(`"${key}"`);
  return i < 0 ? { line: 1, col: 1 } : lineCol(text, i);
}
