/**
 * The page: isolation banner, backend picker and the panels. Every failure ends up as a message in
 * the panel it belongs to, or in the page-wide error bar; never a blank page.
 */
import * as hc from '@hypercolumn/core';
import { loadOptionalBackends } from './backends.js';
import { loadScene, setPicture } from './image-source.js';
import { mountBenchPanel } from './panels/bench.js';
import { mountConvPanel } from './panels/conv.js';
import { mountDrawPanel } from './panels/draw.js';
import { mountPicker } from './panels/picker.js';
import { mountPoolNormPanel } from './panels/poolnorm.js';
import { mountTrainPanel } from './panels/train.js';
import { byId, errorText, showError } from './ui.js';
import './style.css';

const pageError = byId('page-error');
window.addEventListener('error', (e) => showError(pageError, e.error ?? e.message, 'unexpected error'));
window.addEventListener('unhandledrejection', (e) => showError(pageError, e.reason, 'unexpected error'));

function isolationBanner(): void {
  const banner = byId('isolation');
  if (globalThis.crossOriginIsolated) {
    banner.className = 'banner ok';
    banner.textContent = `cross-origin isolated: SharedArrayBuffer available, wasm can use ${navigator.hardwareConcurrency} threads.`;
  } else {
    banner.className = 'banner warn';
    banner.textContent =
      'not cross-origin isolated: this server does not send "Cross-Origin-Opener-Policy: same-origin" and ' +
      '"Cross-Origin-Embedder-Policy: require-corp", so the browser gives no SharedArrayBuffer and the wasm backend runs one thread. ' +
      'The dev and preview servers send both; see the README for deployment.';
  }
  banner.dataset.isolated = String(globalThis.crossOriginIsolated);
}

async function main(): Promise<void> {
  isolationBanner();
  await loadOptionalBackends();
  await hc.ready();
  const conv = mountConvPanel();
  const poolNorm = mountPoolNormPanel();
  const draw = mountDrawPanel();
  const train = mountTrainPanel((c) => draw.useClassifier(c));
  mountBenchPanel();
  const picker = mountPicker(async (name) => {
    train.stop(`backend changed to ${name}`);
    await Promise.all([conv.render(), poolNorm.render(), draw.backendChanged()]);
  });
  await picker.refresh();
  window.addEventListener('hc-panel-error', () => void picker.refresh().catch(() => undefined));
  try {
    setPicture(await loadScene());
  } catch (err) {
    showError(byId('conv-error'), err, 'bundled image');
  }
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  showError(pageError, `${errorText(err)}`, 'the page could not start');
  document.body.dataset.ready = 'failed';
});
