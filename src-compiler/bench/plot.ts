// Per-layer latency plot as a hand-built SVG (no plotting dependency): one horizontal bar per layer,
// its latency in the steady state (first start to last end of its instructions), with the layer's
// roofline cycles over that span marked on it. Horizontal bars,
// because a ResNet-50 has some 60 layers and their names must stay readable.

export interface PlotLayer {
  readonly name: string;
  /** The layer's latency: first start to last end of its instructions (layers can overlap). */
  readonly cycles: number;
  /** The fewest cycles its work allows on its engines and the DDR. */
  readonly rooflineCycles: number;
  /** How much later the program ends because of it (these add up to the program), for the tooltip. */
  readonly shareCycles?: number;
  /** 'compute', 'memory' or 'misc': what bounds the roofline; colours the bar. */
  readonly bound?: string;
}

export interface PlotOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** Clock, to say on the axis what a cycle is worth. */
  readonly frequencyMHz?: number;
}

const ROW = 16;
const LABEL_WIDTH = 250;
const PLOT_WIDTH = 640;
const RIGHT_MARGIN = 90;
const TOP = 78;
const BOTTOM = 64;
const COLOURS: Readonly<Record<string, string>> = { compute: '#4e79a7', memory: '#f28e2b', misc: '#59a14f' };
const OTHER = '#9d9d9d';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step (1, 2 or 5 times a power of ten) that cuts [0, max] into about `count` intervals. */
export function niceStep(max: number, count = 6): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  if (v >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(1)}`;
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const px = (v: number) => +v.toFixed(1);

export function layerLatencySvg(layers: readonly PlotLayer[], opts: PlotOptions): string {
  // The axis covers the longest bar and the farthest roofline mark (the mark lies inside the bar for
  // a true bound over the layer's span; the axis does not assume it).
  const max = Math.max(1, ...layers.map((l) => Math.max(l.cycles, l.rooflineCycles)));
  const step = niceStep(max);
  const axisMax = Math.ceil(max / step) * step;
  const x = (c: number) => LABEL_WIDTH + (PLOT_WIDTH * Math.max(0, c)) / axisMax;
  const width = LABEL_WIDTH + PLOT_WIDTH + RIGHT_MARGIN;
  const plotHeight = layers.length * ROW;
  const height = TOP + plotHeight + BOTTOM;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
  ];
  if (opts.subtitle) out.push(`<text x="${width / 2}" y="38" text-anchor="middle" font-size="11" fill="#444">${escapeXml(opts.subtitle)}</text>`);
  // Legend.
  const legend: [string, string][] = [
    ['compute-bound', COLOURS.compute!],
    ['memory-bound', COLOURS.memory!],
    ['misc-engine-bound', COLOURS.misc!],
  ];
  let lx = LABEL_WIDTH;
  for (const [text, colour] of legend) {
    out.push(`<rect x="${lx}" y="50" width="12" height="10" fill="${colour}"/>`, `<text x="${lx + 16}" y="59">${text}</text>`);
    lx += 130;
  }
  out.push(`<line x1="${lx}" y1="48" x2="${lx}" y2="62" stroke="black" stroke-width="2"/>`, `<text x="${lx + 6}" y="59">roofline (fewest cycles the layer's work allows)</text>`);
  // Grid and ticks (top and bottom axes).
  const bottom = TOP + plotHeight;
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const gx = px(x(v));
    out.push(
      `<line class="grid" x1="${gx}" y1="${TOP}" x2="${gx}" y2="${bottom}" stroke="#ddd"/>`,
      `<text x="${gx}" y="${TOP - 4}" text-anchor="middle" fill="#444">${tickLabel(v)}</text>`,
      `<text x="${gx}" y="${bottom + 14}" text-anchor="middle" fill="#444">${tickLabel(v)}</text>`,
    );
  }
  out.push(`<line x1="${LABEL_WIDTH}" y1="${TOP}" x2="${LABEL_WIDTH}" y2="${bottom}" stroke="black"/>`, `<line x1="${LABEL_WIDTH}" y1="${bottom}" x2="${LABEL_WIDTH + PLOT_WIDTH}" y2="${bottom}" stroke="black"/>`);
  const perCycle = opts.frequencyMHz ? ` (1,000 cycles = ${(1000 / opts.frequencyMHz).toFixed(2)} µs at ${opts.frequencyMHz} MHz)` : '';
  out.push(`<text x="${LABEL_WIDTH + PLOT_WIDTH / 2}" y="${bottom + 34}" text-anchor="middle" font-size="12">cycles per image on one core (first start to last end of the layer's instructions), steady state${escapeXml(perCycle)}</text>`);
  out.push(`<text transform="translate(14 ${TOP + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12">layer (fusion group), in program order</text>`);
  // Bars.
  layers.forEach((l, i) => {
    const y = TOP + i * ROW;
    const label = l.name.length > 40 ? `${l.name.slice(0, 37)}...` : l.name;
    const share = l.shareCycles !== undefined ? ` (the program ends ${n0(l.shareCycles)} cycles later because of it)` : '';
    const tip = `${l.name}: ${n0(l.cycles)} cycles${share}, roofline ${n0(l.rooflineCycles)} cycles${l.bound ? `, ${l.bound}-bound` : ''}`;
    out.push(
      `<g><title>${escapeXml(tip)}</title>`,
      `<text x="${LABEL_WIDTH - 6}" y="${y + ROW - 4}" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect class="bar" x="${LABEL_WIDTH}" y="${y + 2}" width="${px(x(l.cycles) - LABEL_WIDTH)}" height="${ROW - 4}" fill="${COLOURS[l.bound ?? ''] ?? OTHER}"/>`,
      `<line class="roofline" x1="${px(x(l.rooflineCycles))}" y1="${y + 1}" x2="${px(x(l.rooflineCycles))}" y2="${y + ROW - 1}" stroke="black" stroke-width="2"/>`,
      `<text x="${px(Math.max(x(l.cycles), x(l.rooflineCycles)) + 4)}" y="${y + ROW - 4}" fill="#444" font-size="10">${n0(l.cycles)}</text>`,
      '</g>',
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
