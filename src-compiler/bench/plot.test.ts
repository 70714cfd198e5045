import { describe, expect, it } from 'vitest';
import { escapeXml, layerLatencySvg, niceStep } from './plot';

const layers = [
  { name: 'conv1+pool1', cycles: 120_000, rooflineCycles: 100_000, bound: 'compute' },
  { name: 'res2a <&> "branch"', cycles: 40_000, rooflineCycles: 55_000, shareCycles: 12_000, bound: 'memory' },
  { name: 'fc1000', cycles: 9_000, rooflineCycles: 8_000 },
];

describe('layer latency SVG', () => {
  const svg = layerLatencySvg(layers, { title: 'ResNet-50 on ZU9', subtitle: 'test', frequencyMHz: 330 });

  it('is one svg element with one bar and one roofline mark per layer', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(layers.length);
    expect(svg.match(/<line class="roofline"/g)).toHaveLength(layers.length);
    expect(svg.match(/<g>/g)?.length).toBe(svg.match(/<\/g>/g)?.length);
  });

  it('escapes layer names and keeps them readable', () => {
    expect(svg).toContain('res2a &lt;&amp;&gt; &quot;branch&quot;');
    expect(svg).not.toContain('<&>');
    expect(svg).toContain('>conv1+pool1</text>');
  });

  it('scales bars to the cycles and marks the roofline where it is', () => {
    const widths = [...svg.matchAll(/<rect class="bar" x="250" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    // Bars in proportion to their cycles.
    expect(widths[0]! / widths[1]!).toBeCloseTo(3, 2);
    // A mark beyond its bar is drawn where it is (the axis covers it).
    const marks = [...svg.matchAll(/<line class="roofline" x1="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(marks[1]! - 250).toBeGreaterThan(widths[1]!);
    expect(marks[0]! - 250).toBeLessThan(widths[0]!);
  });

  it('says in the tooltip how much later the program ends because of the layer', () => {
    expect(svg).toContain('<title>res2a &lt;&amp;&gt; &quot;branch&quot;: 40,000 cycles (the program ends 12,000 cycles later because of it), roofline 55,000 cycles, memory-bound</title>');
    expect(svg).toContain('<title>fc1000: 9,000 cycles, roofline 8,000 cycles</title>');
  });

  it('labels the axis in cycles with the clock', () => {
    expect(svg).toContain('cycles per image on one core');
    expect(svg).toContain('330 MHz');
    expect(svg).toMatch(/>120k<\/text>/);
  });
});

describe('helpers', () => {
  it('niceStep picks 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(120_000)).toBe(20_000);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(0)).toBe(1);
  });
  it('escapeXml', () => {
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
