// The MAML sine-regression example (examples/maml-sine.ts): its meta-gradient through several
// inner steps against float64 central differences, and a short meta-training run (CPU, float64)
// that lowers the post-adaptation loss on held-out tasks below the initialization's and below a
// non-meta baseline trained as long on the pooled tasks.

import { expect, it } from 'vitest';
import { adaptedLoss, fullSettings, initNet, sampleTasks, train } from '../../examples/maml-sine.js';
import { type Net, metaGradient, metaLoss } from '../../examples/maml.js';
import { describeBackends } from '../helpers/backends.js';
import { values } from '../helpers/batch.js';
import { expectClose } from '../helpers/finiteDiff.js';

describeBackends(
  'MAML on sine regression',
  () => {
    it('the meta-gradient through 3 inner steps matches central differences', async () => {
      const s = { ...fullSettings, hidden: 4, alpha: 0.05 };
      const t = sampleTasks(3, 5, 4, 17, 'float64');
      const p = initNet({ ...s, seed: 5 });
      const dir = initNet({ ...s, seed: 6 });
      const keys = ['W1', 'b1', 'W2'] as const;
      // a non-zero b1 direction (initNet's biases are zero)
      const d: Net = { ...dir, b1: dir.W1.reshape([4]) };
      const g = metaGradient(p, t.XS, t.YS, t.XQ, t.YQ, s.alpha, 3);
      let analytic = 0;
      for (const k of keys) {
        const [gv, dv] = [await values(g[k]), await values(d[k])];
        analytic += gv.reduce((a, v, i) => a + v * dv[i]!, 0);
      }
      const at = async (e: number) => {
        const q = { W1: p.W1.add(d.W1.mul(e)), b1: p.b1.add(d.b1.mul(e)), W2: p.W2.add(d.W2.mul(e)) };
        return (await values(metaLoss(q, t.XS, t.YS, t.XQ, t.YQ, s.alpha, 3)))[0]!;
      };
      const eps = 1e-5;
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
      expectClose([analytic], [fd], 1e-6, 1e-9, 'meta-gradient vs central differences');
    });

    it('100 meta-iterations lower the adapted loss on held-out tasks, below a pooled baseline', async () => {
      const s = { ...fullSettings, iterations: 100 };
      const test = sampleTasks(50, s.shots, 20, 999, s.dtype);
      const maml = await train(s, 'maml');
      const base = await train(s, 'baseline');
      const [m, b, r] = [
        await adaptedLoss(maml.params, test, s, s.innerSteps),
        await adaptedLoss(base.params, test, s, s.innerSteps),
        await adaptedLoss(initNet(s), test, s, s.innerSteps),
      ];
      expect(m).toBeLessThan(0.75 * r);
      expect(m).toBeLessThan(b);
      const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
      expect(mean(maml.losses.slice(-10))).toBeLessThan(0.8 * mean(maml.losses.slice(0, 10)));
    });
  },
  { float32: false },
);
