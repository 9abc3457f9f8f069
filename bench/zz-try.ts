import { startTestDaemon } from '../test/harness.js';
const d = await startTestDaemon();
try {
  for (const cmd of (process.env['CMDS'] ?? '').split(';;')) {
    const r = d.docker(cmd.split(' '), { timeoutMs: 30000 });
    process.stdout.write(`$ ${cmd}\nrc=${r.code}\n${r.stdout}${r.stderr}\n`);
  }
} finally { await d.stop(); }
