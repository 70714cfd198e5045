// Assemble a tiled layer and run it on the functional simulator: the glue of the simulator's tests,
// benchmarks and fixture generator.

import type { Arch } from '../../arch/model';
import { assemble } from '../../asm/assemble';
import { runFunctional, type FunctionalOptions, type FunctionalResult } from '../functional';
import { DdrImage } from '../memory';
import { programFromAsm, type SimProgram } from '../program';
import { tileLayer, type Layer, type TileOptions, type TiledLayer } from './tiler';

export interface LayerRun {
  readonly tiled: TiledLayer;
  readonly program: SimProgram;
  readonly result: FunctionalResult;
  readonly output: Int8Array;
}

/** Assemble program text; throws with the assembler's messages if it has errors (a test-setup bug). */
export function assembleOrThrow(text: string, arch?: Arch): SimProgram {
  const p = assemble(text, arch ? { arch } : {});
  const errors = p.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const lineOf = (off: number) => text.slice(0, off).split('\n').length;
    throw new Error(`program does not assemble:\n${errors.map((e) => `line ${lineOf(e.start)}: ${e.message}`).join('\n')}`);
  }
  return programFromAsm(p);
}

export function runLayer(layer: Layer, arch: Arch, data: Readonly<Record<string, Int8Array>>, options: TileOptions & FunctionalOptions = {}): LayerRun {
  const tiled = tileLayer(layer, arch, options);
  const program = assembleOrThrow(tiled.text, arch);
  const ddr = new DdrImage(program.regions, (r) => data[r.name]);
  const result = runFunctional(program, ddr, options);
  return { tiled, program, result, output: ddr.byName('output')!.data };
}
