import { describe, expect, it } from 'vitest';
import type { SimulationSummary } from '../../server/src/protocol';
import { formatFps, formatSeconds, statusText, statusTooltip } from './format';

const summary = (over: Partial<SimulationSummary> = {}): SimulationSummary => ({ arch: 'ZU9', cores: 3, cycles: 54_991, seconds: 54_991 / 330e6, fps: 3 / (54_991 / 330e6), opsPerSecond: 82.8e9, instructions: 185, status: 'complete', layers: [], ...over });

describe('timing texts', () => {
  it('formats latencies in a readable unit', () => {
    expect([1.5, 0.15, 0.015, 0.0015, 0.00015, 0.000015].map(formatSeconds)).toEqual(['1.50 s', '150 ms', '15.0 ms', '1.50 ms', '150 µs', '15.0 µs']);
    expect(formatSeconds(Number.NaN)).toBe('?');
  });
  it('formats frames per second', () => {
    expect(formatFps(18002.9)).toBe('18,003 FPS');
    expect(formatFps(66.66)).toBe('66.7 FPS');
    expect(formatFps(0)).toBe('0 FPS');
  });
  it('shows target, latency and FPS in the status bar, or the problem', () => {
    expect(statusText('ZU9', summary())).toBe('$(chip) ZU9 $(watch) 167 µs · 18,003 FPS');
    expect(statusText('ZU2', undefined)).toBe('$(chip) ZU2');
    expect(statusText('ZU9', summary({ status: 'deadlock' }))).toBe('$(chip) ZU9 $(warning) deadlock');
    expect(statusTooltip(summary())).toContain('54,991 cycles');
  });
});
