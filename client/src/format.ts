// Texts the extension shows for timing results. No VS Code API.

import type { SimulationSummary } from '../../server/src/protocol';

/** 0.172 ms, 15.0 ms, 1.20 s, 850 µs. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(s >= 0.1 ? 0 : s >= 0.01 ? 1 : 2)} ms`;
  return `${(s * 1e6).toFixed(s >= 1e-4 ? 0 : 1)} µs`;
}

export function formatFps(fps: number): string {
  if (!Number.isFinite(fps) || fps <= 0) return '0 FPS';
  return `${fps >= 100 ? Math.round(fps).toLocaleString('en') : fps.toFixed(1)} FPS`;
}

/** The status bar's text: target, latency per image and frames per second, or why there is none. */
export function statusText(target: string, s: SimulationSummary | undefined | null): string {
  if (!s) return `$(chip) ${target}`;
  if (s.status !== 'complete') return `$(chip) ${s.arch} $(warning) ${s.status}`;
  return `$(chip) ${s.arch} $(watch) ${formatSeconds(s.seconds)} · ${formatFps(s.fps)}`;
}

export function statusTooltip(s: SimulationSummary): string {
  const lines = [
    `Target ${s.arch}, ${s.cores} core${s.cores === 1 ? '' : 's'} (throughput mode)`,
    `${Math.round(s.cycles).toLocaleString('en')} cycles = ${formatSeconds(s.seconds)} per image, ${formatFps(s.fps)}`,
    `${(s.opsPerSecond / 1e9).toFixed(1)} GOP/s, ${s.instructions.toLocaleString('en')} instructions`,
  ];
  if (s.status !== 'complete') lines.push(`Simulation: ${s.status}`);
  lines.push('', 'Click to select the target architecture');
  return lines.join('\n');
}
