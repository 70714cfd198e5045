// The shared model files (../shared/models beside the repository). Tests read them there; they are
// never copied into the project.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const SHARED_MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'models');

export function sharedModel(rel: string): string {
  const p = path.join(SHARED_MODELS, rel);
  if (!fs.existsSync(p)) throw new Error(`shared model ${rel} not found at ${p}; tests need ../shared/models beside the repository`);
  return p;
}
