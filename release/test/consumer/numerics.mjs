// Copied into the user project and run there against the installed packages: imports every backend
// package given on the command line, then on each backend that starts computes a conv, a max pool, a
// training-mode batch norm and one SGD step from the inputs file, and prints the results as JSON.
import { readFileSync } from 'node:fs';
import * as hc from '@hypercolumn/core';

const [inputsFile, ...backendPackages] = process.argv.slice(2);
const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
const registeredBy = {};
for (const pkg of backendPackages) {
  const before = new Set((await hc.listBackends()).map((b) => b.name));
  await import(pkg);
  for (const b of await hc.listBackends()) if (!before.has(b.name)) registeredBy[b.name] = pkg;
}

const tensor = (spec, options) => hc.tensor(new Float32Array(spec.data), spec.shape, options);
const values = async (t) => Array.from(await t.data());

const results = { registeredBy, unavailable: {}, backends: {} };
for (const info of await hc.listBackends()) {
  if (!info.available) {
    results.unavailable[info.name] = info.reason ?? '';
    continue;
  }
  await hc.setBackend(info.name);
  const out = {};

  const { x, w, b, options } = inputs.conv;
  const convIn = [tensor(x), tensor(w), tensor(b)];
  const conv = hc.conv2d(convIn[0], convIn[1], convIn[2], options);
  out.conv = { shape: conv.shape, values: await values(conv) };

  const poolIn = tensor(inputs.pool.x);
  const pool = hc.maxPool2d(poolIn, inputs.pool.options);
  out.pool = { shape: pool.shape, values: await values(pool) };

  const n = inputs.norm;
  const normIn = [tensor(n.x), tensor(n.runningMean), tensor(n.runningVar), tensor(n.weight), tensor(n.bias)];
  const norm = hc.batchNorm(normIn[0], normIn[1], normIn[2], normIn[3], normIn[4], n.options);
  out.norm = { shape: norm.shape, values: await values(norm), runningMean: await values(normIn[1]), runningVar: await values(normIn[2]) };

  const t = inputs.train;
  const params = Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, tensor(v, { requiresGrad: true })]));
  const trainX = tensor(t.x);
  const sgd = new hc.optim.SGD(Object.values(params), { lr: t.lr });
  const loss = hc.scope(() => {
    const hidden = hc.relu(hc.conv2d(trainX, params.convWeight, params.convBias, t.convOptions));
    return hc.crossEntropy(hc.linear(hc.flatten(hidden), params.linearWeight, params.linearBias), t.labels);
  });
  sgd.zeroGrad();
  loss.backward();
  sgd.step();
  out.train = { loss: (await values(loss))[0], params: {} };
  for (const [k, p] of Object.entries(params)) out.train.params[k] = await values(p);

  sgd.zeroGrad();
  for (const tensorToFree of [...convIn, conv, poolIn, pool, ...normIn, norm, ...Object.values(params), trainX, loss]) tensorToFree.dispose();
  out.liveTensors = hc.memory().backends[info.name]?.tensors ?? 0;
  results.backends[info.name] = out;
}
console.log(JSON.stringify(results));
