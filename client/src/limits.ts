// The dnnvm.limits.* settings: the compiler's resource limits (src-compiler/util/limits.ts). The
// language server gets them at start (initializationOptions) and on every change (the dnnvm section is
// synchronized); this process applies them too, for what runs in it (the inline debug adapter assembles
// programs).

import * as vscode from 'vscode';
import { resetLimits, setLimits } from '../../src-compiler/util/limits';

/** The dnnvm.limits section as the settings have it: { modelFileMB, tensorElements, instructions, simulatedCycles }. */
export function limitSettings(): Record<string, unknown> {
  return { ...(vscode.workspace.getConfiguration('dnnvm').get<Record<string, unknown>>('limits') ?? {}) };
}

/** Apply the settings in this process now and whenever they change; problems go to the output channel. */
export function followLimitSettings(output: vscode.OutputChannel): vscode.Disposable {
  const apply = () => {
    resetLimits();
    const problems = setLimits(limitSettings());
    if (problems.length) output.appendLine(`the dnnvm.limits settings are not usable: ${problems.join('; ')}. Those limits keep their defaults; correct the settings (Settings, search "dnnvm.limits").`);
  };
  apply();
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('dnnvm.limits')) apply();
  });
}
