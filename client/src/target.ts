// Select Target Architecture: a quick pick of the board presets and DPU configurations (from the
// architecture model), the program's own `.arch`, or an architecture file. Sets `dnnvm.target`.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { BOARD_PRESETS, DPU_CONFIGS } from '../../src-compiler/arch/presets';

interface TargetItem extends vscode.QuickPickItem {
  readonly value?: string;
  readonly browse?: boolean;
}

/** Set the target: `value` given (a preset, a configuration, a file, or '' for the program's own), or picked. */
export async function selectTarget(value?: unknown): Promise<string | undefined> {
  let target: string | undefined = typeof value === 'string' ? value : undefined;
  const config = vscode.workspace.getConfiguration('dnnvm');
  if (target === undefined) {
    const current = config.get<string>('target') ?? '';
    const mark = (v: string) => (v.toUpperCase() === current.toUpperCase() ? '$(check) ' : '');
    const items: TargetItem[] = [
      { label: `${mark('')}Program's own`, description: 'what each program says with .arch (ZU9 if nothing)', value: '' },
      { label: 'Boards', kind: vscode.QuickPickItemKind.Separator },
      ...BOARD_PRESETS.map((b) => ({ label: `${mark(b.name)}${b.name}`, description: `${b.cores} × ${b.dpu.name} at ${b.frequencyMHz} MHz`, detail: b.description, value: b.name })),
      { label: 'DPU configurations (one core at 300 MHz)', kind: vscode.QuickPickItemKind.Separator },
      ...DPU_CONFIGS.map((c) => ({ label: `${mark(c.name)}${c.name}`, description: `PP ${c.pp} × ICP ${c.icp} × OCP ${c.ocp}`, value: c.name })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(file) Architecture file…', description: '.json (dnnvm schema) or a Vitis AI target .prototxt', browse: true },
    ];
    if (current && !items.some((i) => i.value?.toUpperCase() === current.toUpperCase())) items.splice(1, 0, { label: `$(check) ${path.basename(current)}`, description: current, value: current });
    const pick = await vscode.window.showQuickPick(items, { title: 'DNNVM: Target Architecture', placeHolder: `Current: ${current || "the program's own .arch"}`, matchOnDescription: true });
    if (!pick) return undefined;
    if (pick.browse) {
      const files = await vscode.window.showOpenDialog({ title: 'Architecture file', canSelectMany: false, filters: { 'Architecture (dnnvm JSON, Vitis AI target)': ['json', 'prototxt'] }, openLabel: 'Use as Target' });
      if (!files?.[0]) return undefined;
      const folder = vscode.workspace.getWorkspaceFolder(files[0]);
      // Inside the workspace: relative, so the setting travels with the folder.
      target = folder ? path.relative(folder.uri.fsPath, files[0].fsPath) : files[0].fsPath;
    } else target = pick.value ?? '';
  }
  // A workspace setting when there is a (trusted) workspace: untrusted workspaces ignore dnnvm.target.
  const scope = vscode.workspace.workspaceFolders?.length && vscode.workspace.isTrusted ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('target', target, scope);
  return target;
}
