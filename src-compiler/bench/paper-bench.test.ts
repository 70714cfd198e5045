import { describe, expect, it } from 'vitest';
import { convolutionLayers, PAPER_MODELS, speedup, subsetThroughput } from './paper-bench';

describe('paper table math', () => {
  it('speedup is naive cycles over optimized cycles', () => {
    expect(speedup(1000, 1300)).toBeCloseTo(1.3, 10);
    expect(speedup(1300, 1000)).toBeCloseTo(0.769, 3);
    expect(speedup(0, 1000)).toBe(0);
  });

  it('subset throughput is ops x cores x clock over cycles', () => {
    // 2 layers, 3e9 ops in 1e6 cycles on 3 cores at 330 MHz: 3e9 x 3 x 330e6 / 1e6 = 2.97e12.
    const s = subsetThroughput(
      [
        { ops: 1e9, cycles: 250_000 },
        { ops: 2e9, cycles: 750_000 },
      ],
      3,
      330e6,
    );
    expect(s.layers).toBe(2);
    expect(s.ops).toBe(3e9);
    expect(s.cycles).toBe(1e6);
    expect(s.opsPerSecond).toBeCloseTo(2.97e12, -6);
    expect(subsetThroughput([], 3, 330e6).opsPerSecond).toBe(0);
  });

  it('convolution layers: a convolution of the model, no fully connected layer', () => {
    const op: Record<string, string> = { conv5_3: 'conv', pool5: 'pool', fc6: 'gemm', relu6: 'relu', fc7: 'gemm', pool1: 'pool', conv1_1: 'conv', ip: 'matmul' };
    const layers = [
      { name: 'conv1_1', nodes: ['conv1_1'] },
      { name: 'pool1', nodes: ['pool1'] },
      { name: 'conv5_3+pool5', nodes: ['conv5_3', 'pool5'] },
      { name: 'fc6+fc7', nodes: ['fc6', 'relu6', 'fc7'] },
      { name: 'ip', nodes: ['ip'] },
    ];
    const { conv, excluded } = convolutionLayers(layers, (n) => op[n]);
    expect(conv.map((l) => l.name)).toEqual(['conv1_1', 'conv5_3+pool5']);
    expect(excluded.map((l) => l.name)).toEqual(['pool1', 'fc6+fc7', 'ip']);
  });

  it('quotes the published figures the brief gives', () => {
    const by = (label: string) => PAPER_MODELS.find((m) => m.label === label)!;
    expect(by('VGG-16').paperTops).toBe(2.82);
    expect(by('ResNet-50').pg338?.fps).toBe(175);
    expect(by('GoogLeNet').pg338?.fps).toBe(405);
    expect(by('SqueezeNet 1.1').pg338?.fps).toBe(1048);
  });
});
