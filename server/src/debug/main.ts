// The standalone debug adapter: `node dist/debug-adapter.js` speaks the Debug Adapter Protocol on
// stdin/stdout, for any DAP client (VS Code runs the same adapter inline in the extension).

import { DebugSession } from '@vscode/debugadapter';
import { DnnasmDebugSession } from './adapter';

DebugSession.run(DnnasmDebugSession);
