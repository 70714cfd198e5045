// The simulators' public API, for the CLI, the language server, the debugger and the compiler.
//
//   const program = programFromAsm(asm, index)               // or programFromWords / programFromInstrs
//   const timing = simulateTiming(program, { cores, isCancelled, maxInstructions })
//   instructionTiming(timing, i)                              // hover: engine, cycles, stalls, bytes, MACs
//   const run = runFunctional(program, new DdrImage(program.regions, (r) => bytesOf(r.name)))
//
// Results are plain data; problems (SimProblem) point at instructions by index.

export { programFromAsm, programFromInstrs, programFromWords, where, described, type SimProgram, type SimProblem, type SimLayer, type SimRegion, type ProblemCode } from './program';
export { simulateTiming, instructionTiming, START, END, type TimingOptions, type TimingResult, type LayerTiming, type EngineTiming, type InstrTimes, type InstructionTiming, type Bound } from './timing';
export { chromeTrace } from './trace';
export { runFunctional, FunctionalMachine, type FunctionalOptions, type FunctionalResult } from './functional';
export { BankMemory, DdrImage, MAX_DDR_BYTES, type DdrRegionImage } from './memory';
export { analyzeDependencies, buildDepGraph, happensBefore, type DepAnalysis, type DepGraph } from './deps';
export { instructionCosts, soloCycles, peakCycles, bankRate, type InstrCosts } from './cost';
