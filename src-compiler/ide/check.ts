// The functional check of a document: every DPU segment run bit-exactly in program order on one DDR
// image (races, order inversions, out-of-bounds and uninitialized accesses), and, for a compiled
// program, each layer's output compared with the package's golden checksum right after the layer ran.
//
// Between segments the host runs its own layers. With a package, its host steps run from the
// manifest's XGraph; without one, what the host writes is unknown, so from the second segment on every
// DDR byte counts as written (no uninitialized-read reports there).

import { CancelledError, UserError } from '../util/errors';
import { resolveInside } from '../util/paths';
import { FunctionalMachine } from '../sim/functional';
import { DdrImage } from '../sim/memory';
import { analyzeDependencies, type DepAnalysis } from '../sim/deps';
import type { SimProblem, SimRegion } from '../sim/program';
import type { IntValue } from '../ref/int8';
import { planRaceFix } from './fixes';
import { fmapChecksum, type FileCache, type ProgramPackage } from './package';
import { globalProblem, type RaceFixPlan, type SegmentProgram } from './simulation';

export interface GoldenOutcome {
  /** The manifest's file name. */
  readonly manifest: string;
  /** Layers compared (up to and including the first that differs). */
  readonly checked: number;
  /** Golden checksums in the package. */
  readonly total: number;
  /** The first layer (document layer index) whose output differs. */
  readonly mismatch?: { readonly layer: number; readonly name: string; readonly tensor: string; readonly shape: readonly [number, number, number] };
  /** Why some layers could not be compared. */
  readonly note?: string;
}

export interface FunctionalCheck {
  /** Document instruction indices. The timing phase's problems (deadlock, unbalanced tokens, missing INITs) are left out. */
  readonly problems: SimProblem[];
  /** Quick fixes of races, by "x:y" (document indices). */
  readonly raceFixes: [string, RaceFixPlan][];
  readonly golden?: GoldenOutcome;
  readonly executed: number;
  readonly macs: number;
  /** The check stopped at its deadline; the results cover the instructions before `stoppedAt`. */
  readonly stoppedAt?: number;
}

export interface CheckOptions {
  readonly isCancelled?: () => boolean;
  /** Stop at this time (Date.now() milliseconds) with what was found so far, and say so. */
  readonly deadline?: number;
  readonly pkg?: ProgramPackage;
  readonly maxProblems?: number;
}

/**
 * The DDR image of a document's regions: `file=` contents read relative to `dir` through `cache`.
 * Throws a UserError at the `.ddr` line when a file is missing, outside `dir`, or of another size than
 * the region.
 */
export function documentDdr(regions: readonly SimRegion[], dir: string, cache: FileCache): DdrImage {
  return new DdrImage(regions, (r) => {
    if (r.file === undefined) return undefined;
    const at = r.line !== undefined ? { line: r.line, col: 1 } : {};
    // Only files inside the program's folder, as everywhere a program names a file (util/paths.ts).
    const file = resolveInside(dir, r.file, `region ${r.name}: file=`, at);
    let bytes: Uint8Array;
    try {
      bytes = cache.read(file);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new UserError(`region ${r.name}: cannot read file="${r.file}" (${file}): ${why}; the functional check needs the region's data`, at);
    }
    if (bytes.length !== r.size) throw new UserError(`region ${r.name}: file="${r.file}" holds ${bytes.length} bytes, but the region has size=${r.size}: make them agree`, at);
    return bytes;
  });
}

// The timing phase reports these (with the same meaning), so the functional phase leaves them out.
const TIMING_CODES = new Set(['deadlock', 'unbalanced-tokens', 'no-init']);

export function checkSegments(segs: readonly SegmentProgram[], ddr: DdrImage, opts: CheckOptions = {}): FunctionalCheck {
  const problems: SimProblem[] = [];
  const raceFixes: [string, RaceFixPlan][] = [];
  const pkg = opts.pkg;
  let executed = 0;
  let macs = 0;
  let checked = 0;
  let mismatch: GoldenOutcome['mismatch'];
  let note: string | undefined;
  let stoppedAt: number | undefined;
  /** Golden comparison stops at the first mismatch, or when a host step could not run. */
  let goldenOn = pkg !== undefined && pkg.goldenCount > 0;
  const hostValues = new Map<string, IntValue>();
  if (pkg && goldenOn && pkg.hostStepsBefore().length > 0) {
    goldenOn = false;
    note = `the model starts with host steps (${pkg.hostStepsBefore().join(', ')}) whose results the package does not hold, so no layer is compared`;
  }
  let prev: SegmentProgram | undefined;
  for (const seg of segs) {
    if (prev) {
      if (pkg) {
        for (const node of pkg.hostStepsAfter(prev.index)) {
          try {
            pkg.runHost(node, ddr, hostValues);
          } catch (e) {
            if (goldenOn) note = `golden checksums are compared up to segment ${prev.name}: ${(e as Error).message}`;
            goldenOn = false;
            for (const r of ddr.regions) r.init = undefined;
          }
        }
      } else for (const r of ddr.regions) r.init = undefined;
    }
    prev = seg;
    const p = seg.program;
    if (goldenOn && pkg!.segmentName(seg.index) !== seg.name) {
      note = `segment ${seg.index} is '${seg.name}' here but '${pkg!.segmentName(seg.index) ?? '(none)'}' in ${pkg!.name}, so layers from there on are not compared`;
      goldenOn = false;
    }
    const deadline = opts.deadline;
    const cancelled = opts.isCancelled;
    const isCancelled = deadline === undefined ? cancelled : () => cancelled?.() === true || Date.now() > deadline;
    const m = new FunctionalMachine(p, ddr, { ...(isCancelled ? { isCancelled } : {}), ...(opts.maxProblems ? { maxProblems: opts.maxProblems } : {}) });
    let layer = 0;
    const compare = () => {
      while (layer < p.layers.length && m.pc >= p.layers[layer]!.end) {
        const l = p.layers[layer]!;
        const li = seg.layerIndex[layer]!;
        layer++;
        if (!goldenOn || l.end <= l.first) continue;
        for (const g of pkg!.goldens(seg.index, l.name)) {
          const got = fmapChecksum(ddr, g);
          if (got === undefined) continue;
          checked++;
          if (got !== g.sha256) {
            mismatch = { layer: li, name: l.name, tensor: g.tensor, shape: [g.fmap.c, g.fmap.h, g.fmap.w] };
            goldenOn = false;
            break;
          }
        }
      }
    };
    try {
      // The machine polls isCancelled every 64 instructions; a big layer's are long, so poll each one too.
      while (m.step()) {
        compare();
        if (isCancelled?.()) throw new CancelledError();
      }
      compare();
    } catch (e) {
      // Over the time budget (not cancelled by the caller): keep what was found, and say where it stopped.
      if (!(e instanceof CancelledError) || cancelled?.() === true) throw e;
      stoppedAt = m.pc + seg.first;
      goldenOn = false;
    }
    const r = m.result();
    executed += r.executed;
    macs += r.macs;
    let deps: DepAnalysis | undefined;
    for (const pr of r.problems) {
      if (TIMING_CODES.has(pr.code)) continue;
      if ((pr.code === 'race' || pr.code === 'order') && pr.related?.length === 1) {
        deps ??= analyzeDependencies(p, { vectorClocks: true });
        const x = pr.related[0]!;
        const fix = pr.code === 'race' ? planRaceFix(p, deps, x, pr.instr) : undefined;
        if (fix)
          raceFixes.push([
            `${x + seg.first}:${pr.instr + seg.first}`,
            { onInstr: fix.onInstr + seg.first, onEngine: fix.onEngine, byInstr: fix.byInstr + seg.first, byEngine: fix.byEngine },
          ]);
      }
      problems.push(globalProblem(seg, pr));
    }
    if (stoppedAt !== undefined) break;
  }
  return {
    problems,
    raceFixes,
    ...(pkg && pkg.goldenCount > 0 ? { golden: { manifest: pkg.name, checked, total: pkg.goldenCount, ...(mismatch ? { mismatch } : {}), ...(note ? { note } : {}) } } : {}),
    executed,
    macs,
    ...(stoppedAt !== undefined ? { stoppedAt } : {}),
  };
}
