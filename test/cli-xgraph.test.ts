// `dnnvm xgraph` end to end through main(): a package compiled from a shared model drawn as an SVG with
// one box per fusion group and per node, the legend and the title; hostile names escaped; the file
// well-formed XML; and errors that name the path and say what to do.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from './support/models';
import { runCli } from './support/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-cli-xgraph-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCli(args, dir);

/**
 * Problems that keep `xml` from being well-formed, for the subset of XML an SVG writer emits (elements,
 * double-quoted attributes, text; no comments, CDATA or processing instructions): a `<` or `&` that
 * starts no tag or entity, tags that do not nest, more or less than one root element.
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const tag = /<(\/)?([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/)?>/y;
  const badAmp = /&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[\da-fA-F]+);)/;
  const open: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (badAmp.test(text)) problems.push(`a bare & in text near ${JSON.stringify(text.slice(0, 40))}`);
    if (open.length === 0 && text.trim() !== '') problems.push(`text outside the root element: ${JSON.stringify(text.slice(0, 40))}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) {
      problems.push(`a < that starts no tag at ${lt}: ${JSON.stringify(xml.slice(lt, lt + 40))}`);
      break;
    }
    if (badAmp.test(m[3] ?? '')) problems.push(`a bare & in the attributes of <${m[2]}>`);
    if (m[1]) {
      const top = open.pop();
      if (top !== m[2]) problems.push(`</${m[2]}> closes <${top}>`);
    } else {
      if (open.length === 0) roots++;
      if (!m[4]) open.push(m[2]!);
    }
    i = tag.lastIndex;
  }
  if (open.length) problems.push(`unclosed: ${open.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const unescape = (s: string) => s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);
const attrs = (svg: string, re: RegExp) => [...svg.matchAll(re)].map((m) => unescape(m[1]!));

interface ManifestDoc {
  xgraph: { nodes: { name: string; device: string }[] };
  fusionGroups: { name: string; template: string; nodes: string[] }[];
}

describe('dnnvm xgraph', () => {
  const pkg = path.join(dir, 'pkg');
  let manifest: ManifestDoc;

  beforeAll(async () => {
    const r = await run(['compile', sharedModel('caffe/lenet.prototxt'), '--arch', 'ZU9', '-o', 'pkg', '--no-golden']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'lenet.manifest.json'), 'utf8')) as ManifestDoc;
  });

  it('draws the package: a box per fusion group and per node, edges, the legend, the title with the latency', async () => {
    const r = await run(['xgraph', 'pkg', '-o', 'out/lenet.svg']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^xgraph: out\/lenet\.svg \(LeNet on ZU9: 8 nodes, 2 fusion groups, 7 edges; latency [\d,]+ cycles = /);
    const svg = fs.readFileSync(path.join(dir, 'out', 'lenet.svg'), 'utf8');
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // Groups of two or more nodes are boxes; a group of one is the node alone.
    const fused = manifest.fusionGroups.filter((g) => g.nodes.length > 1);
    expect(fused.length).toBe(2);
    expect(attrs(svg, /<rect class="group" data-group="([^"]*)"/g).sort()).toEqual(fused.map((g) => g.name).sort());
    expect(attrs(svg, /<g class="node[^"]*" data-id="([^"]*)"/g).sort()).toEqual(manifest.xgraph.nodes.map((n) => n.name).sort());
    // CPU nodes are hatched and marked; DPU nodes have a heat colour.
    const cpu = manifest.xgraph.nodes.filter((n) => n.device === 'cpu').map((n) => n.name);
    expect(cpu.length).toBeGreaterThan(0);
    expect(attrs(svg, /<g class="node cpu" data-id="([^"]*)"/g).sort()).toEqual(cpu.sort());
    expect(svg).toMatch(/<g class="node" data-id="conv1"[^>]*>.*\n<rect [^>]*fill="rgb\(\d+, \d+, \d+\)"/);
    expect(svg.match(/<polyline class="edge"/g)).toHaveLength(7);
    expect(svg).toContain('Latency, cycles (log)');
    expect(svg).toContain('class="legend-bar"');
    expect(svg).toMatch(/<text class="title"[^>]*>XGraph of LeNet on ZU9<\/text>/);
    expect(svg).toMatch(/<text class="latency"[^>]*>latency: [\d,]+ cycles = [\d.]+ µs per image \(3 cores, each starting one image at cycle 0/);
  });

  it('writes NAME.xgraph.svg beside the manifest by default; --steady --json reports the steady-state figures', async () => {
    const r = await run(['xgraph', 'pkg/lenet.manifest.json', '--steady', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: true, svg: path.join(pkg, 'lenet.xgraph.svg'), model: 'LeNet', arch: 'ZU9', nodes: 8, edges: 7, groups: 2 });
    expect(j.mode).toMatch(/steady state/);
    expect(j.cycles).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(pkg, 'lenet.xgraph.svg'))).toBe(true);
  });

  it('escapes names with <, &, quotes in every text and attribute', async () => {
    const hostile = path.join(dir, 'hostile');
    fs.cpSync(pkg, hostile, { recursive: true });
    fs.rmSync(path.join(hostile, 'lenet.xgraph.svg'), { force: true });
    const file = path.join(hostile, 'lenet.manifest.json');
    const node = `prob <img src=x onerror="alert('&')">`;
    const group = `g<1>&"'`;
    const text = fs
      .readFileSync(file, 'utf8')
      .replaceAll('"prob"', JSON.stringify(node))
      .replaceAll('"conv+pool#0"', JSON.stringify(group));
    fs.writeFileSync(file, text);
    const r = await run(['xgraph', 'hostile']);
    expect(r.code).toBe(0);
    const svg = fs.readFileSync(path.join(hostile, 'lenet.xgraph.svg'), 'utf8');
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('<img');
    expect(attrs(svg, /<g class="node[^"]*" data-id="([^"]*)"/g)).toContain(node);
    expect(attrs(svg, /<rect class="group" data-group="([^"]*)"/g)).toContain(group);
    expect(svg).toContain('prob &lt;img src=x onerror=&quot;alert(&#39;&amp;&#39;)&quot;&gt;');
  });

  it('draws without latencies, and says why, when the assembly is missing', async () => {
    const bare = path.join(dir, 'bare');
    fs.mkdirSync(bare);
    fs.copyFileSync(path.join(pkg, 'lenet.manifest.json'), path.join(bare, 'lenet.manifest.json'));
    const r = await run(['xgraph', 'bare']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/bare\/lenet\.dnnasm: warning: the package's assembly is missing, so the XGraph is drawn without latencies: compile the model again/);
    const svg = fs.readFileSync(path.join(bare, 'lenet.xgraph.svg'), 'utf8');
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain('latency: not simulated');
    expect(svg).toContain('No timing: the program has not been simulated');
  });

  it('a missing package: names the path, says what to give, exit code 1, nothing written', async () => {
    const r = await run(['xgraph', 'no-such-pkg', '-o', 'none.svg']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe('error: no-such-pkg: no such file or folder: give the folder `dnnvm compile MODEL -o DIR` wrote, or the NAME.manifest.json in it\n');
    expect(fs.existsSync(path.join(dir, 'none.svg'))).toBe(false);
  });

  it('a folder without a package, and an output that is not .svg: say what to do, exit code 1', async () => {
    fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
    const r = await run(['xgraph', 'empty']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: empty: the folder holds no program package \(no NAME\.manifest\.json\): compile a model into it with `dnnvm compile MODEL -o empty`/);
    const o = await run(['xgraph', 'pkg', '-o', 'graph.png']);
    expect(o.code).toBe(1);
    expect(o.err).toMatch(/-o graph\.png: the XGraph is written as SVG: give a FILE\.svg/);
  });
});
