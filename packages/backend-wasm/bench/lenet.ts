// apps/train-mnist's LeNet-5 training benchmark on this backend (images/s beside tfjs in the same run).
// Run: node scripts/run-ts.mjs bench/lenet.ts [batches]
import '../src/index.js';
import { benchText, parseBenchOptions, runBench } from '../../../apps/train-mnist/src/bench.js';

const options = parseBenchOptions(['--backend', 'wasm', '--batches', process.argv[3] ?? '20']);
console.log(benchText(await runBench(options, console.log)));
process.exit(0);
