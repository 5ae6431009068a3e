import cliProgress from 'cli-progress';
import type { EpochResult, EvalResult, StepInfo } from './train.js';

export interface EpochRow extends EpochResult {
  testAccuracy: number;
  testLoss: number;
  evalSeconds: number;
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)} %`;

/** One cli-progress bar per epoch (on stderr, TTY only); a no-op object otherwise. */
export class EpochBar {
  private bar: cliProgress.SingleBar | undefined;
  constructor(private readonly enabled: boolean) {}

  start(epoch: number, epochs: number, total: number): void {
    if (!this.enabled) return;
    const width = String(epochs).length;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${String(epoch).padStart(width)}/${epochs} {bar} {percentage}% | {value}/{total} img | loss {loss} | acc {acc} | {ips} img/s | eta {eta_formatted}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        // the CLI's own SIGINT handler stops the bar (restoring cursor and line wrap) and exits 130
        gracefulExit: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { loss: '-', acc: '-', ips: '-' });
  }

  update(info: StepInfo): void {
    this.bar?.update(info.done, { loss: info.loss.toFixed(4), acc: pct(info.accuracy, 1), ips: Math.round(info.imagesPerSecond) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

export function epochLine(row: EpochRow, epochs: number): string {
  const width = String(epochs).length;
  return (
    `epoch ${String(row.epoch).padStart(width)}/${epochs}  loss ${row.loss.toFixed(4)}  train ${pct(row.trainAccuracy)}  ` +
    `test ${pct(row.testAccuracy)}  ${row.seconds.toFixed(1)} s  ${Math.round(row.imagesPerSecond)} img/s`
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function epochTable(rows: EpochRow[]): string {
  return table(
    ['epoch', 'lr (end)', 'train loss', 'train acc', 'test loss', 'test acc', 'time (s)', 'img/s'],
    rows.map((r) => [String(r.epoch), r.lr.toExponential(2), r.loss.toFixed(4), pct(r.trainAccuracy), r.testLoss.toFixed(4), pct(r.testAccuracy), r.seconds.toFixed(1), String(Math.round(r.imagesPerSecond))]),
  );
}

/** Rows: true digit; columns: predicted digit; the last column is the per-digit accuracy. */
export function confusionTable(confusion: number[][]): string {
  const header = ['true\\pred', ...confusion.map((_, i) => String(i)), 'acc'];
  const rows = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return [String(t), ...row.map(String), total ? pct(row[t]! / total, 1) : '-'];
  });
  return table(header, rows);
}

export interface Summary {
  model: string;
  backend: string;
  parameters: number;
  trainImages: number;
  testImages: number;
  epochs: EpochRow[];
  test: EvalResult;
  fused?: { accuracy: number; matches: boolean; maxLogitDifference?: number };
  totalSeconds: number;
  saved?: string;
  loaded?: string;
}

export function summaryText(s: Summary): string {
  const parts: string[] = [];
  parts.push(`model ${s.model} (${s.parameters} parameters) on backend ${s.backend}; ${s.trainImages} train / ${s.testImages} test images`);
  if (s.loaded) parts.push(`loaded ${s.loaded}`);
  if (s.epochs.length) {
    parts.push('', epochTable(s.epochs));
    const mean = s.epochs.reduce((a, r) => a + r.seconds, 0) / s.epochs.length;
    parts.push(`mean time per epoch ${mean.toFixed(1)} s (training only), total run ${s.totalSeconds.toFixed(1)} s`);
  }
  parts.push('', `test accuracy ${pct(s.test.accuracy)} (${s.test.correct}/${s.test.count}), test loss ${s.test.loss.toFixed(4)}`, '', confusionTable(s.test.confusion));
  if (s.fused) {
    parts.push(
      '',
      `fused BatchNorm (conv+bn → conv): test accuracy ${pct(s.fused.accuracy)} — ${s.fused.matches ? 'matches' : 'DIFFERS FROM'} the unfused model` +
        (s.fused.maxLogitDifference !== undefined ? ` (max |logit difference| ${s.fused.maxLogitDifference.toExponential(2)})` : ''),
    );
  }
  if (s.saved) parts.push('', `saved ${s.saved}`);
  return parts.join('\n');
}
