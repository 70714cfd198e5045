// The `dnnasm` debug adapter: the Debug Adapter Protocol over a DebugEngine (src-compiler/debug/).
// The same class runs inline in the VS Code extension and standalone over stdio (main.ts,
// dist/debug-adapter.js), so any DAP client can use it.
//
// Mapping (docs/debugger.md):
//   threads      one per simulated core
//   stack frames one per engine of the core (LOAD, SAVE, CONV, MISC; END when only it is left), each at
//                its current instruction's line; the engine whose instruction starts next is on top
//   next         the core's next instruction starts (time order, any engine)
//   step in      the selected frame's engine's next instruction starts (or a chosen engine: step-in targets)
//   step out     run until the first instruction of the next layer is about to start
//   step back, reverse continue, continue, pause, goto (jump to cursor)
//   breakpoints  on lines, with conditions and hit counts; data breakpoints on bank/DDR ranges;
//                an exception filter for functional errors and races
//   readMemory   banks and DDR regions (memory references in the Memory scope)
//   events       `dnnvm/position` after every stop (the timeline follows it)
//   requests     `dnnvm/timeline`, `dnnvm/perfetto`, `dnnvm/gotoCycle`, `dnnvm/gotoInstruction`

import * as path from 'node:path';
import { DebugSession, Event, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent, Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { checkLaunchConfig, LaunchError, loadDebugProgram } from '../../../src-compiler/debug/launch';
import { DebugEngine, frameId, frameOf, threadId, type Stop, type VarNode } from '../../../src-compiler/debug/session';
import { timelineData } from '../../../src-compiler/debug/timeline';
import { ENGINE_NAMES, fmtCycle } from '../../../src-compiler/debug/trace';
import { ExprError } from '../../../src-compiler/debug/expr';

export const POSITION_EVENT = 'dnnvm/position';

/** Error ids of the adapter's error responses. */
const ERR_LAUNCH = 1001;
const ERR_REQUEST = 1002;

export class DnnasmDebugSession extends DebugSession {
  private engine: DebugEngine | undefined;
  private configured!: Promise<void>;
  private markConfigured!: () => void;
  private refs = new Map<number, () => VarNode[]>();
  private nextRef = 1;
  /** The frame the user selected last (VS Code asks for its scopes): step in steps its engine. */
  private focusedFrame: number | undefined;
  private running = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((r) => (this.markConfigured = r));
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      // A hover names a word, not the instruction under the mouse: the language server's hover says more.
      supportsEvaluateForHovers: false,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsReadMemoryRequest: true,
      supportsStepInTargetsRequest: true,
      supportsGotoTargetsRequest: true,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: false,
      exceptionBreakpointFilters: [
        {
          filter: 'problems',
          label: 'Functional errors and races',
          description: 'Stop before an instruction that the program-order check (functional simulator with the race checker) reports: a race, an order inversion, an uninitialized read, a bank or DDR error.',
          default: true,
        },
      ],
    };
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    let engine: DebugEngine;
    try {
      const cfg = checkLaunchConfig(args);
      const loaded = loadDebugProgram(cfg);
      engine = new DebugEngine(loaded, cfg.snapshotMemoryMB ? { memoryBytes: cfg.snapshotMemoryMB * 1024 * 1024 } : {});
      for (const w of loaded.warnings) this.sendEvent(new OutputEvent(w + '\n', 'console'));
      this.engine = engine;
      const t = engine.trace.timing;
      this.sendEvent(
        new OutputEvent(
          `DNNVM: ${path.basename(loaded.file)}${loaded.segment.count > 1 ? ` (segment ${loaded.segment.name})` : ''}: ${loaded.program.count} instructions on ${t.arch}, ` +
            `${engine.cores} core${engine.cores === 1 ? '' : 's'}; ${fmtCycle(t.cycles)} cycles (${t.status}), ${engine.trace.events} instruction starts to step through\n`,
          'console',
        ),
      );
      if (engine.deadlock) this.sendEvent(new OutputEvent(`DNNVM: ${engine.deadlock.message}\n`, 'stderr'));
      this.sendEvent(new InitializedEvent());
      // Breakpoints come between the initialized event and configurationDone; a client that never
      // sends configurationDone still gets going.
      await Promise.race([this.configured, new Promise((r) => setTimeout(r, 2000))]);
      this.sendResponse(response);
      // The program-order check runs in the background; its result is printed and feeds the exception filter.
      void engine.checkProgramOrder().then((o) => {
        if (o.state === 'skipped') return;
        const bad = o.problems.filter((p) => p.severity === 'error');
        const where = (i: number) => (loaded.program.lines && i >= 0 ? `${loaded.file}:${loaded.program.lines[i]}: ` : '');
        this.sendEvent(
          new OutputEvent(
            bad.length === 0
              ? 'DNNVM: program-order check: no race, no order inversion, no functional error: the result does not depend on the order the engines run in\n'
              : `DNNVM: program-order check found ${bad.length} problem${bad.length === 1 ? '' : 's'}:\n${bad.map((p) => `${where(p.instr)}${p.message} [${p.code}]`).join('\n')}\n`,
            bad.length === 0 ? 'console' : 'stderr',
          ),
        );
      });
      if ((args as { stopOnEntry?: boolean }).stopOnEntry) this.stopped(engine.entryStop());
      else await this.runTo(true, 0);
    } catch (e) {
      const message = e instanceof LaunchError ? e.message : e instanceof Error ? `could not start the session: ${e.message}` : String(e);
      this.sendErrorResponse(response, { id: ERR_LAUNCH, format: message.replace(/\{/g, '{{').replace(/\}/g, '}}'), showUser: true });
    }
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.markConfigured();
    this.sendResponse(response);
  }

  private fail(response: DebugProtocol.Response, message: string): void {
    this.sendErrorResponse(response, { id: ERR_REQUEST, format: message.replace(/\{/g, '{{').replace(/\}/g, '}}'), showUser: false });
  }

  /** The engine, or an error response saying there is no session yet. */
  private need(response: DebugProtocol.Response): DebugEngine | undefined {
    if (!this.engine) this.fail(response, 'no program is loaded: the launch request failed or has not been made');
    return this.engine;
  }

  private stopped(s: Stop): void {
    this.refs.clear();
    this.focusedFrame = undefined;
    const e = this.engine!;
    const ev = new StoppedEvent(s.reason, threadId(s.core), s.text) as DebugProtocol.StoppedEvent;
    ev.body.description = s.description;
    ev.body.allThreadsStopped = true;
    if (s.hitBreakpointIds) ev.body.hitBreakpointIds = [...s.hitBreakpointIds];
    this.lastStop = s;
    const next = e.nextStart();
    this.sendEvent(
      new Event(POSITION_EVENT, {
        cycle: e.cycle,
        position: e.position,
        events: e.trace.events,
        reason: s.reason,
        ...(next ? { core: next.core, instr: next.instr, line: e.program.lines?.[next.instr] } : {}),
      }),
    );
    this.sendEvent(ev);
  }

  private lastStop: Stop | undefined;

  private async runTo(forward: boolean, core: number): Promise<void> {
    const e = this.engine!;
    this.running = true;
    try {
      this.stopped(await e.run(forward, core));
    } finally {
      this.running = false;
    }
  }

  private coreOf(threadIdArg: number): number {
    return threadIdArg - 1;
  }

  private step(response: DebugProtocol.Response, f: (e: DebugEngine) => Stop): void {
    const e = this.need(response);
    if (!e) return;
    let s: Stop;
    try {
      s = f(e);
    } catch (err) {
      this.fail(response, (err as Error).message);
      return;
    }
    this.sendResponse(response);
    this.stopped(s);
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.step(response, (e) => e.stepCore(this.coreOf(args.threadId)));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    const c = this.coreOf(args.threadId);
    this.step(response, (e) => {
      let engine: number;
      if (args.targetId !== undefined) engine = args.targetId - 1;
      else if (this.focusedFrame !== undefined && frameOf(this.focusedFrame).core === c) engine = frameOf(this.focusedFrame).engine;
      else engine = e.frames(c)[0]?.engine ?? 0;
      return e.stepEngine(c, engine);
    });
  }

  protected override stepInTargetsRequest(response: DebugProtocol.StepInTargetsResponse, args: DebugProtocol.StepInTargetsArguments): void {
    const e = this.need(response);
    if (!e) return;
    const { core } = frameOf(args.frameId);
    response.body = {
      targets: [0, 1, 2, 3]
        .filter((eng) => e.trace.nextEvent(core, e.position, eng) >= 0)
        .map((eng) => ({ id: eng + 1, label: `the next ${ENGINE_NAMES[eng]} instruction on core ${core}` })),
    };
    this.sendResponse(response);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.step(response, (e) => e.stepLayer(this.coreOf(args.threadId)));
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.step(response, (e) => e.stepBack(this.coreOf(args.threadId)));
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    if (!this.need(response)) return;
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    void this.runTo(true, this.coreOf(args.threadId));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    if (!this.need(response)) return;
    this.sendResponse(response);
    void this.runTo(false, this.coreOf(args.threadId));
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    const e = this.need(response);
    if (!e) return;
    this.sendResponse(response);
    if (this.running) e.pause();
    else this.stopped({ reason: 'pause', core: this.coreOf(args.threadId), description: `Paused at cycle ${fmtCycle(e.cycle)}` });
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    const e = this.need(response);
    if (!e) return;
    const i = args.source.path && path.resolve(args.source.path) === path.resolve(e.loaded.file) ? e.instrAtLine(args.line) : undefined;
    const line = i !== undefined ? e.program.lines![i]! : args.line;
    response.body = { targets: i === undefined ? [] : [{ id: i + 1, label: `before ${e.where(i)} starts`, line }] };
    this.sendResponse(response);
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    const e = this.need(response);
    if (!e) return;
    const r = e.gotoInstr(this.coreOf(args.threadId), args.targetId - 1);
    if ('error' in r) return this.fail(response, r.error);
    this.sendResponse(response);
    this.stopped(r);
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const e = this.need(response);
    if (!e) return;
    const file = args.source.path ?? '';
    const given: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    const specs = given.map((b) => ({
      line: b.line,
      ...(b.condition !== undefined ? { condition: b.condition } : {}),
      ...(b.hitCondition !== undefined ? { hitCondition: b.hitCondition } : {}),
    }));
    response.body = {
      breakpoints: e.setBreakpoints(file, specs).map((r) => ({
        id: r.id,
        verified: r.verified,
        ...(r.line !== undefined ? { line: r.line, source: args.source } : {}),
        ...(r.message ? { message: r.message } : {}),
      })),
    };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const e = this.need(response);
    if (!e) return;
    e.setStopOnProblems(args.filters.includes('problems') || (args.filterOptions ?? []).some((f) => f.filterId === 'problems'));
    response.body = { breakpoints: [{ verified: true }] };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.lastStop;
    const deadlock = this.engine?.deadlock && this.engine.atEnd;
    response.body = {
      exceptionId: deadlock ? 'deadlock' : 'problem',
      description: s?.text ?? s?.description ?? '',
      breakMode: 'always',
    };
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const e = this.engine;
    response.body = { threads: e ? Array.from({ length: e.cores }, (_, c) => new Thread(threadId(c), `core ${c}`)) : [] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const e = this.need(response);
    if (!e) return;
    const c = this.coreOf(args.threadId);
    if (c < 0 || c >= e.cores) return this.fail(response, `thread ${args.threadId} is not a simulated core (threads 1..${e.cores})`);
    const frames = e.frames(c);
    const start = args.startFrame ?? 0;
    const shown = frames.slice(start, args.levels ? start + args.levels : undefined);
    response.body = {
      totalFrames: frames.length,
      stackFrames: shown.map((f) => ({
        id: f.id,
        name: f.name,
        line: f.line,
        column: f.column,
        ...(f.line > 0 ? { source: { name: path.basename(e.loaded.file), path: e.loaded.file } } : { presentationHint: 'subtle' as const }),
      })),
    };
    this.sendResponse(response);
  }

  private ref(children: () => VarNode[]): number {
    const r = this.nextRef++;
    this.refs.set(r, children);
    return r;
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const e = this.need(response);
    if (!e) return;
    this.focusedFrame = args.frameId;
    try {
      response.body = { scopes: e.scopes(args.frameId).map((s) => ({ name: s.name, variablesReference: this.ref(s.children), expensive: s.expensive })) };
    } catch (err) {
      return this.fail(response, (err as Error).message);
    }
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const children = this.refs.get(args.variablesReference);
    if (!children) return this.fail(response, `variables reference ${args.variablesReference} is not valid any more (the session moved)`);
    let nodes = children();
    if (args.start !== undefined || args.count !== undefined) nodes = nodes.slice(args.start ?? 0, args.count ? (args.start ?? 0) + args.count : undefined);
    response.body = {
      variables: nodes.map((n) => ({
        name: n.name,
        value: n.value,
        ...(n.type ? { type: n.type } : {}),
        ...(n.memoryReference ? { memoryReference: n.memoryReference } : {}),
        variablesReference: n.children ? this.ref(n.children) : 0,
      })),
    };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const e = this.need(response);
    if (!e) return;
    try {
      response.body = { result: e.evaluate(args.expression, args.frameId), variablesReference: 0 };
    } catch (err) {
      return this.fail(response, err instanceof ExprError ? `${args.expression}: ${err.message}` : (err as Error).message);
    }
    this.sendResponse(response);
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    const e = this.need(response);
    if (!e) return;
    const r = e.readMemory(args.memoryReference, args.offset ?? 0, args.count);
    if ('error' in r) return this.fail(response, r.error);
    response.body = { address: '0x' + r.address.toString(16), data: Buffer.from(r.data).toString('base64'), ...(r.unreadable ? { unreadableBytes: r.unreadable } : {}) };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const e = this.need(response);
    if (!e) return;
    let r: { dataId: string; description: string } | { error: string };
    if (args.variablesReference !== undefined && !args.asAddress) {
      const node = this.refs.get(args.variablesReference)?.().find((n) => n.name === args.name);
      const ref = node?.memoryReference ? e.parseMemoryReference(node.memoryReference) : undefined;
      r = ref && !('error' in ref) ? e.dataId(ref.core, ref.kind, ref.space) : { error: `${args.name} is not a bank or a DDR region: data breakpoints watch memory (expand Memory and pick a bank or a region)` };
    } else {
      let text = args.name;
      if (args.bytes !== undefined && /@/.test(text) && !/\+/.test(text)) {
        // A bank range counts addresses (ICP bytes each); a DDR range counts bytes.
        text += `+${/ddr:/i.test(text) ? args.bytes : Math.ceil(args.bytes / e.program.arch.dpu.icp)}`;
      }
      r = e.dataIdFromText(text);
    }
    response.body = 'error' in r ? { dataId: null, description: r.error } : { dataId: r.dataId, description: r.description, accessTypes: ['write'], canPersist: true };
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const e = this.need(response);
    if (!e) return;
    response.body = {
      breakpoints: e
        .setDataBreakpoints(
          args.breakpoints.map((b) => ({ dataId: b.dataId, ...(b.condition !== undefined ? { condition: b.condition } : {}), ...(b.hitCondition !== undefined ? { hitCondition: b.hitCondition } : {}) })),
        )
        .map((r) => ({ id: r.id, verified: r.verified, ...(r.message ? { message: r.message } : {}) })),
    };
    this.sendResponse(response);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    const e = this.need(response);
    if (!e) return;
    const a = (args ?? {}) as Record<string, unknown>;
    switch (command) {
      case 'dnnvm/timeline':
        response.body = timelineData(e);
        return this.sendResponse(response);
      case 'dnnvm/perfetto':
        response.body = { json: e.perfettoTrace() };
        return this.sendResponse(response);
      case 'dnnvm/gotoCycle': {
        const cycle = a['cycle'];
        if (typeof cycle !== 'number' || !Number.isFinite(cycle) || cycle < 0) return this.fail(response, `dnnvm/gotoCycle: 'cycle' must be a cycle number >= 0, not ${JSON.stringify(cycle)}`);
        this.sendResponse(response);
        return this.stopped(e.gotoCycle(cycle));
      }
      case 'dnnvm/gotoInstruction': {
        const core = a['core'];
        const instr = a['instr'];
        if (typeof core !== 'number' || !Number.isInteger(core) || core < 0 || core >= e.cores) return this.fail(response, `dnnvm/gotoInstruction: 'core' must be 0..${e.cores - 1}`);
        if (typeof instr !== 'number' || !Number.isInteger(instr) || instr < 0 || instr >= e.program.count) return this.fail(response, `dnnvm/gotoInstruction: 'instr' must be 0..${e.program.count - 1}`);
        const r = e.gotoInstr(core, instr);
        if ('error' in r) return this.fail(response, r.error);
        this.sendResponse(response);
        return this.stopped(r);
      }
      default:
        return this.fail(response, `unknown request '${command}'`);
    }
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.engine?.pause();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.engine?.pause();
    this.engine = undefined;
    this.sendResponse(response);
  }
}

export { frameId };
