import { runWorker, type KillPlan } from './worker-process.ts';
import { mkdtemp, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TickRandom } from '../../packages/runtime/src/random/index.ts';
const r = new TickRandom(Number(process.argv[2] ?? 1), 1);
let kills = 0;
for (let c = 0; c < 30; c++) {
  const dir = await mkdtemp(join(tmpdir(), 'cw-repro-'));
  const url = `file:${dir}`;
  for (;;) {
    const plan: KillPlan =
      r.float() < 0.5
        ? { after: 'delay', ms: 300 + Math.floor(r.float() * 1500) }
        : { after: 'ack', n: 1 + Math.floor(r.float() * 60) };
    await cp(dir, dir + '-before', { recursive: true });
    const a = await runWorker(url, plan);
    if (a.killed) {
      kills++;
      continue;
    }
    if (a.code !== 0) {
      console.log('FAIL', dir, JSON.stringify(plan), a.stderr.split('\n').slice(0, 12).join('\n'));
      process.exit(1);
    }
    break;
  }
  console.log('campaign', c, 'kills', kills);
}
