// file:// URIs <-> paths, without a dependency.

import { fileURLToPath, pathToFileURL } from 'node:url';

export const URI = {
  toPath(uri: string): string {
    try {
      return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    } catch {
      return uri;
    }
  },
  fromPath(p: string): string {
    return pathToFileURL(p).toString();
  },
};
