// The extension manifest (package.json): activation only when needed, what untrusted workspaces get,
// and contributions that point at what the client registers.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_CEILINGS, limitHint, type Limits } from '../../src-compiler/util/limits';

const ROOT = path.resolve(__dirname, '..', '..');
interface Command {
  command: string;
  title: string;
  enablement?: string;
}
interface Manifest {
  main: string;
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations?: string[]; description?: string } };
  contributes: {
    commands: Command[];
    customEditors: { viewType: string; selector: { filenamePattern: string }[]; priority: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { type?: string; default?: unknown; minimum?: number; maximum?: number; description?: string }> };
  };
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const client = fs.readdirSync(path.join(ROOT, 'client', 'src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => fs.readFileSync(path.join(ROOT, 'client', 'src', f), 'utf8'))
  .join('\n');

describe('extension manifest', () => {
  it('activates only on what needs it: no startup or workspace-wide activation', () => {
    for (const e of manifest.activationEvents) expect(e, e).toMatch(/^(onCustomEditor|onWebviewPanel|onLanguage|onCommand):/);
    // Commands, the language and the custom editor activate implicitly (VS Code >= 1.74).
    expect(manifest.activationEvents).not.toContain('*');
    expect(manifest.activationEvents.some((e) => e.startsWith('onStartupFinished') || e.startsWith('workspaceContains'))).toBe(false);
  });

  it('contributes the commands the client registers, and registers no command it does not contribute (except internal ones)', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command);
    expect(contributed).toEqual(expect.arrayContaining(['dnnvm.compileModel', 'dnnvm.exportTrace', 'dnnvm.selectTarget', 'dnnvm.showXGraph', 'dnnvm.simulate', 'dnnvm.validate']));
    const registered = [...client.matchAll(/registerCommand\('([\w.]+)'/g)].map((m) => m[1]!);
    for (const c of contributed) expect(registered, c).toContain(c);
    expect(registered.filter((c) => !contributed.includes(c)).sort()).toEqual(['dnnvm.openLocation', 'dnnvm.showOutput']);
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) for (const i of items) expect(contributed, `${menu}: ${i.command}`).toContain(i.command);
  });

  it('opens .onnx and .caffemodel files in the model editor the client registers', () => {
    const [editor] = manifest.contributes.customEditors;
    expect(editor!.viewType).toBe('dnnvm.model');
    expect(editor!.selector.map((s) => s.filenamePattern).sort()).toEqual(['*.caffemodel', '*.onnx']);
    expect(client).toContain("export const MODEL_VIEW_TYPE = 'dnnvm.model'");
  });

  it('offers Compile Model on .prototxt files in the explorer and the editor title', () => {
    const where = (menu: string) => manifest.contributes.menus[menu]!.find((i) => i.command === 'dnnvm.compileModel')?.when ?? '';
    expect(where('explorer/context')).toContain('resourceExtname == .prototxt');
    expect(where('editor/title')).toContain('resourceExtname == .prototxt');
  });

  it('declares limited support in untrusted workspaces: no compiling or validating, no workspace target file', () => {
    const u = manifest.capabilities.untrustedWorkspaces;
    expect(u.supported).toBe('limited');
    // The target can name a file; the limits guard against files made to exhaust memory or time.
    expect(u.restrictedConfigurations).toEqual(['dnnvm.target', ...Object.keys(DEFAULT_LIMITS).map((k) => `dnnvm.limits.${k}`)]);
    expect(Object.keys(manifest.contributes.configuration.properties)).toContain('dnnvm.target');
    const byId = new Map(manifest.contributes.commands.map((c) => [c.command, c]));
    for (const c of ['dnnvm.compileModel', 'dnnvm.validate']) expect(byId.get(c)!.enablement, c).toBe('isWorkspaceTrusted');
    // And the code checks trust itself (a command can be run through its API too).
    expect(client.match(/vscode\.workspace\.isTrusted/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it('has a dnnvm.limits.* setting for every resource limit, with the library\'s default and ceiling, as the limit messages name it', () => {
    const props = manifest.contributes.configuration.properties;
    const settings = Object.keys(props).filter((k) => k.startsWith('dnnvm.limits.')).sort();
    expect(settings).toEqual(Object.keys(DEFAULT_LIMITS).map((k) => `dnnvm.limits.${k}`).sort());
    for (const k of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
      const p = props[`dnnvm.limits.${k}`]!;
      expect(p.type, k).toBe('number');
      expect(p.default, `dnnvm.limits.${k}'s default in package.json must be DEFAULT_LIMITS.${k} of src-compiler/util/limits.ts`).toBe(DEFAULT_LIMITS[k]);
      expect(p.maximum, `dnnvm.limits.${k}'s maximum in package.json must be LIMIT_CEILINGS.${k}`).toBe(LIMIT_CEILINGS[k]);
      expect(p.minimum, k).toBeGreaterThan(0);
      expect(p.description?.length ?? 0, `dnnvm.limits.${k} says what it limits`).toBeGreaterThan(40);
      expect(limitHint(k)).toContain(`the dnnvm.limits.${k} setting`);
    }
    // The client hands them to the language server at start, and follows them in its own process.
    expect(client).toMatch(/initializationOptions: \(\) => \(\{ settings: \{ limits: limitSettings\(\) \} \}\)/);
    expect(client).toContain("e.affectsConfiguration('dnnvm.limits')");
  });

  it('shows screenshots on the README (the marketplace page) that exist, and that the e2e run takes', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // The extension's pictures (docs/images/vscode-*.png; other parts have their own).
    const images = [...readme.matchAll(/!\[[^\]]+\]\((docs\/images\/vscode-[^)]+)\)/g)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const i of images) expect(fs.existsSync(path.join(ROOT, i)), i).toBe(true);
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'update-screenshots.mjs'), 'utf8');
    for (const i of images) expect(script, `scripts/update-screenshots.mjs makes ${i}`).toContain(`'${path.basename(i)}'`);
    const e2e = fs.readFileSync(path.join(ROOT, 'test', 'e2e', 'workbench.test.ts'), 'utf8');
    for (const [, shot] of script.matchAll(/'([\w-]+)\.png': 'vscode-/g)) expect(e2e, `the e2e run takes ${shot}`).toContain(`screenshot('${shot}')`);
  });
});
