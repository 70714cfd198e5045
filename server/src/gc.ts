// Garbage collection on request, for the server's main thread and its workers.
//
// V8 collects its old generation when the heap has grown by some factor since the last collection,
// not when the program is idle. An analysis of a big program (a compiled ResNet-50: a 2.9 MB text, its
// syntax tree, a functional check over 25 MB of weights) leaves 100-250 MB of garbage per thread, and
// during an editing session several of those piled up before V8 collected: the soak test measured the
// server at 250-320 MB above where it started. Collecting once the work is done keeps it near its
// working set. A full collection of such a heap takes tens of milliseconds, so a worker does it right
// after each job, and the main thread after a quiet second (no edit, no analysis) or, while edits keep
// coming, when its heap has grown by more than GROWTH_BYTES since the last collection.

import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/** A full collection, or undefined where V8 does not allow asking for one. `--expose-gc` set at run
 * time applies to contexts created afterwards, so a new context hands out the `gc` function. */
export const collectGarbage: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
})();

/** Main-thread growth allowed between collections while editing goes on. */
export const GROWTH_BYTES = 64 * 1024 * 1024;

let usedAfterLast = v8.getHeapStatistics().used_heap_size;

function collectNow(): void {
  collectGarbage!();
  usedAfterLast = v8.getHeapStatistics().used_heap_size;
}

/** Collect if the heap has grown by more than `growth` bytes since the last collection (cheap to ask). */
export function collectIfGrown(growth = GROWTH_BYTES): void {
  if (collectGarbage && v8.getHeapStatistics().used_heap_size - usedAfterLast > growth) collectNow();
}

/** Collects once after `quietMs` without a call to `busy()`; `done()` arms it. */
export class IdleCollector {
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly quietMs: number) {}
  /** Work finished: collect if nothing else starts within quietMs. */
  done(): void {
    if (!collectGarbage) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      collectNow();
    }, this.quietMs);
    this.timer.unref?.();
  }
  /** Work started: no collection now. */
  busy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
  dispose(): void {
    this.busy();
  }
}
