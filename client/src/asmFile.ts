// Whether compiling may write `<model>.dnnasm`: never over a file with hand edits. No VS Code API.
//
// The package's manifest records the sha256 of the assembly each compilation generated. The file on
// disk is the generated one (and may be replaced) when its hash equals the previous compilation's;
// any other content is somebody's work: a hand edit, or a file of unknown origin.

import { createHash } from 'node:crypto';

export function sha256Text(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
}

export interface ExistingAsm {
  /** The file's content on disk. */
  readonly diskText: string;
  /** Open in an editor with unsaved changes. */
  readonly dirty: boolean;
}

export interface GeneratedAsm {
  readonly asmText: string;
  readonly asmSha256: string;
  readonly previousAsmSha256?: string;
}

export type AsmWriteDecision =
  /** No file yet: write it. */
  | 'create'
  /** The file already holds exactly the new assembly: nothing to write. */
  | 'unchanged'
  /** The file is the previous compilation's output, untouched: replace it. */
  | 'replace'
  /** The file has hand edits (or unsaved changes, or an unknown origin): ask. */
  | 'conflict';

export function decideAsmWrite(existing: ExistingAsm | undefined, generated: GeneratedAsm): AsmWriteDecision {
  if (!existing) return 'create';
  if (existing.dirty) return 'conflict';
  const disk = sha256Text(existing.diskText);
  if (disk === generated.asmSha256) return 'unchanged';
  if (generated.previousAsmSha256 !== undefined && disk === generated.previousAsmSha256) return 'replace';
  return 'conflict';
}

/** A name for the new assembly beside a file with hand edits: lenet.dnnasm -> lenet.generated.dnnasm (then .generated-2, ...). */
export function alternativeAsmName(asmPath: string, exists: (p: string) => boolean): string {
  const base = asmPath.replace(/\.dnnasm$/i, '');
  for (let i = 1; ; i++) {
    const p = `${base}.generated${i > 1 ? `-${i}` : ''}.dnnasm`;
    if (!exists(p)) return p;
  }
}
