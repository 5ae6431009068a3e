/**
 * End-to-end tests: the built app served by `vite preview` (and once by a plain server without the
 * isolation headers), driven in Debian's headless Chromium by playwright-core (no browser download).
 * Panels are checked by their pixels (element screenshots decoded and measured), not only the DOM.
 * Screenshots go to test-artifacts/ (gitignored).
 *
 * CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer as createViteServer, preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'test-artifacts');
mkdirSync(artifacts, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// The flags a closed-network machine needs (see the machine notes): no background connections.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu',
];

let server;
let browser;
let baseUrl;
/** Page errors and console errors of the current page: a test fails on any it did not expect. */
let pageErrors = [];
let sharedPage;

/**
 * One page for the tests that only look at panels (startup costs seconds under load); tests that
 * intercept requests or train open their own.
 */
async function panelPage() {
  sharedPage ??= await openPage();
  pageErrors = sharedErrors;
  return sharedPage;
}
let sharedErrors = [];

async function openPage(url = baseUrl) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  pageErrors = errors;
  if (!sharedPage) sharedErrors = errors;
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#page-error'));
  return page;
}

/**
 * Screenshot of an element (saved as an artifact), decoded in the page and measured: how many
 * distinct colours, the luminance spread, and the share of pixels of a given hue.
 */
async function shoot(page, selector, name) {
  const locator = page.locator(selector);
  await locator.scrollIntoViewIfNeeded();
  const png = await locator.screenshot({ path: join(artifacts, `${name}.png`) });
  return page.evaluate(async (b64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${b64}`;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const d = ctx.getImageData(0, 0, image.width, image.height).data;
    const colours = new Set();
    let sum = 0, sq = 0, blue = 0, orange = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      colours.add((r << 16) | (g << 8) | b);
      const y = 0.299 * r + 0.587 * g + 0.114 * b;
      sum += y;
      sq += y * y;
      if (b > r + 40 && b > g) blue++;
      if (r > b + 60 && r > g + 30) orange++;
    }
    const mean = sum / n;
    return { width: image.width, height: image.height, colours: colours.size, std: Math.sqrt(sq / n - mean * mean), blue: blue / n, orange: orange / n };
  }, png.toString('base64'));
}

/** Names of the backends the picker offers as available. */
async function availableBackends(page) {
  const rows = await page.$$eval('[data-backend-row]', (trs) => trs.map((tr) => ({ name: tr.dataset.backendRow, availability: tr.querySelector('.availability').textContent })));
  return rows.filter((r) => r.availability.startsWith('available')).map((r) => r.name);
}

/** A plain static server for dist/ that sends no isolation headers (a careless deployment). */
function plainServer() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml' };
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const path = join(root, 'dist', decodeURIComponent(req.url.split('?')[0]) === '/' ? 'index.html' : decodeURIComponent(req.url.split('?')[0]));
      if (!path.startsWith(join(root, 'dist')) || !existsSync(path)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

before(async () => {
  assert.ok(existsSync(join(root, 'dist', 'index.html')), 'run `vite build` first (pnpm test does)');
  assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}: install Debian's (scripts/ci-setup.sh) or set CHROMIUM_PATH`);
  server = await preview({ root, logLevel: 'warn', preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  baseUrl = server.resolvedUrls.local[0];
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => server?.httpServer.close(r));
});

describe('web demo', () => {
  test('page starts cross-origin isolated, the picker lists backends with kernels, and switches', async () => {
    const page = await panelPage();
    assert.equal(await page.getAttribute('#isolation', 'data-isolated'), 'true');
    const rows = await page.$$eval('[data-backend-row]', (trs) => trs.map((tr) => ({ name: tr.dataset.backendRow, text: tr.textContent })));
    const cpu = rows.find((r) => r.name === 'cpu');
    assert.ok(cpu && /available/.test(cpu.text) && /native/.test(cpu.text), JSON.stringify(rows));
    for (const optional of ['wasm', 'webgpu']) assert.ok(rows.some((r) => r.name === optional), `${optional} is listed (installed or not)`);
    const available = await availableBackends(page);
    assert.ok(available.includes('cpu'), JSON.stringify(rows));
    // Each available backend in turn: the picker, the current label and the feature map follow.
    for (const name of available) {
      await page.click(`button[data-backend="${name}"]`);
      await page.waitForFunction((n) => document.getElementById('backend-current').textContent === n, name);
      await page.waitForFunction((n) => document.getElementById('conv-output').dataset.backend === n, name);
      assert.equal(await page.getAttribute(`button[data-backend="${name}"]`, 'aria-pressed'), 'true');
    }
    // An unavailable one: its reason, in the message box, and the current backend stays.
    const before = await page.textContent('#backend-current');
    const off = rows.find((r) => /unavailable|not installed/.test(r.text));
    if (off) {
      await page.click(`button[data-backend="${off.name}"]`);
      await page.waitForSelector('#backend-error:not([hidden])');
      assert.match(await page.textContent('#backend-error'), new RegExp(`cannot switch to ${off.name}: .*(not available|expected one of)`));
      assert.equal(await page.textContent('#backend-current'), before);
    }
    await shoot(page, '#backends', 'backends');
    assert.deepEqual(pageErrors, []);
  });

  test('convolution panel: Sobel feature map, output size from the formula, Toeplitz matrix agrees with conv2d', async () => {
    const page = await panelPage();
    const input = await shoot(page, '#conv-input', 'conv-input');
    const output = await shoot(page, '#conv-output', 'conv-sobel-x');
    assert.ok(input.colours > 20 && input.std > 20, `input image drawn: ${JSON.stringify(input)}`);
    // Sobel x on a picture: both signs of edges, drawn blue and orange.
    assert.ok(output.blue > 0.01 && output.orange > 0.01, `feature map has both signs: ${JSON.stringify(output)}`);
    // 'same', stride 1: 128×128 → 128×128; valid, stride 2, dilation 2, k 3: floor((128 − 2·2 − 1)/2) + 1 = 62.
    assert.match(await page.textContent('#conv-formula'), /Hout = .* = 128\b/);
    await page.selectOption('#conv-padding', 'valid');
    await page.fill('#conv-stride', '2');
    await page.fill('#conv-dilation', '2');
    await page.waitForFunction(() => /= 62/.test(document.getElementById('conv-formula').textContent));
    assert.match(await page.textContent('#conv-formula'), /floor\(\(128 \+ 0 \+ 0 − 2·2 − 1\)\/2\) \+ 1 = 62/);
    assert.match(await page.textContent('#conv-stats'), /feature map: mean/);
    const matrixNote = await page.textContent('#conv-matrix-note');
    const [, rows, cols] = matrixNote.match(/M is (\d+)×(\d+)/);
    // 6×6 input, k 3, dilation 2, stride 2, valid: floor((6 − 5)/2) + 1 = 1 → 1×1 output, 36 columns.
    assert.deepEqual([Number(rows), Number(cols)], [1, 36]);
    await page.selectOption('#conv-padding', 'same');
    await page.fill('#conv-stride', '1');
    await page.fill('#conv-dilation', '1');
    await page.waitForFunction(() => /M is 36×36/.test(document.getElementById('conv-matrix-note').textContent));
    const worst = Number((await page.textContent('#conv-matrix-note')).match(/conv2d\(x\)\| = ([\d.e-]+)/)[1]);
    assert.ok(worst < 1e-5, `M·x = conv2d(x): ${worst}`);
    const matrix = await shoot(page, '#conv-matrix', 'conv-toeplitz');
    assert.ok(matrix.blue > 0.005 && matrix.orange > 0.005, `matrix drawn: ${JSON.stringify(matrix)}`);
    // True convolution of Sobel x is its negation: the orange and blue shares swap.
    await page.selectOption('#conv-mode', 'convolution');
    await page.waitForFunction(() => /true convolution/.test(document.getElementById('conv-formula').textContent));
    const flipped = await shoot(page, '#conv-output', 'conv-sobel-x-flipped');
    assert.ok(Math.abs(flipped.blue - output.orange) < 0.02 && Math.abs(flipped.orange - output.blue) < 0.02, `${JSON.stringify(output)} vs ${JSON.stringify(flipped)}`);
    await page.selectOption('#conv-preset', 'blur');
    await page.waitForTimeout(300);
    await shoot(page, '#conv', 'conv-panel');
    assert.deepEqual(pageErrors, []);
  });

  test('pooling and normalization panel draws every op with its statistics', async () => {
    const page = await panelPage();
    await page.waitForSelector('#norm-results .norm-row:not(.norm-head)');
    const pools = await page.$$eval('#pool-results figcaption', (f) => f.map((x) => x.textContent));
    assert.equal(pools.length, 5);
    assert.match(pools[0], /128×128 → 64×64/);
    assert.match(pools[2], /3×3 s2 p1: 128×128 → 64×64/);
    assert.match(pools[4], /global avg pool: 128×128 → 1×1/);
    const norms = await page.$$eval('#norm-results .norm-row:not(.norm-head) .norm-stats', (s) => s.map((x) => x.textContent));
    assert.equal(norms.length, 5);
    // Normalized outputs: mean 0 and std 1 over what each norm normalizes (LayerNorm: per image, so
    // over both images too; BatchNorm: per channel over the batch, so overall too).
    for (const i of [0, 1, 2, 3]) {
      const [, mean, std] = norms[i].match(/mean (-?[\d.]+) · std ([\d.]+)/);
      assert.ok(Math.abs(Number(mean)) < 0.01 && Math.abs(Number(std) - 1) < 0.01, norms[i]);
    }
    const shot = await shoot(page, '#poolnorm', 'pool-norm-panel');
    assert.ok(shot.colours > 100 && shot.blue > 0.01 && shot.orange > 0.01, JSON.stringify(shot));
    const pool = await shoot(page, '#pool-results', 'pools');
    assert.ok(pool.std > 20, JSON.stringify(pool));
    assert.deepEqual(pageErrors, []);
  });

  /** Strokes (in canvas pixels, 280×280) of digits as a person draws them. */
  const STROKES = {
    7: [[[70, 60], [140, 58], [215, 60], [180, 130], [150, 190], [130, 240]]],
    1: [[[150, 40], [148, 100], [146, 160], [145, 240]]],
    0: [[[140, 40], [95, 70], [80, 140], [100, 215], [145, 240], [190, 210], [205, 140], [190, 70], [140, 40]]],
  };

  async function drawDigit(page, strokes) {
    await page.click('#draw-clear');
    const box = await page.locator('#draw-canvas').boundingBox();
    const scale = box.width / 280;
    for (const stroke of strokes) {
      await page.mouse.move(box.x + stroke[0][0] * scale, box.y + stroke[0][1] * scale);
      await page.mouse.down();
      for (let i = 1; i < stroke.length; i++) {
        await page.mouse.move(box.x + stroke[i][0] * scale, box.y + stroke[i][1] * scale, { steps: 8 });
      }
      await page.mouse.up();
    }
  }

  test('a drawn digit is classified by the pretrained model, with softmax bars', async () => {
    const page = await panelPage();
    await page.waitForFunction(() => /pretrained/.test(document.getElementById('draw-model').textContent));
    for (const [digit, strokes] of Object.entries(STROKES)) {
      await drawDigit(page, strokes);
      await page.waitForFunction(() => document.getElementById('draw-result').dataset.prediction !== undefined);
      await page.waitForTimeout(200);
      const result = await page.textContent('#draw-result');
      await shoot(page, '#draw', `draw-${digit}`);
      assert.equal(await page.getAttribute('#draw-result', 'data-prediction'), digit, result);
    }
    const bars = await shoot(page, '#draw-bars', 'draw-bars');
    assert.ok(bars.orange > 0.01, `highlighted bar drawn: ${JSON.stringify(bars)}`);
    assert.deepEqual(pageErrors, []);
  });

  test('training LeNet-5 for a few steps lowers the loss on every available backend; pause holds, stop ends; images/s shown', async () => {
    const page = await openPage();
    for (const backend of await availableBackends(page)) {
      await page.click(`button[data-backend="${backend}"]`);
      await page.waitForFunction((n) => document.getElementById('backend-current').textContent === n, backend);
      // The other panels redraw on the new backend first: their tensors would count as the training's.
      await page.waitForSelector('#backend-current[data-switch="done"]');
      await trainAndCheck(page, backend, backend === (await availableBackends(page))[0]);
    }
    assert.deepEqual(pageErrors, []);
  });

  async function trainAndCheck(page, backend, checkPause) {
    await page.selectOption('#train-batch', '32');
    await page.click('#train-start');
    await page.waitForFunction(() => document.getElementById('train-status').dataset.state === 'running');
    await page.waitForFunction(() => Number(document.getElementById('train-status').dataset.steps) >= 10, null, { timeout: 120_000 });
    if (checkPause) {
      await page.click('#train-pause');
      await page.waitForFunction(() => document.getElementById('train-status').dataset.state === 'paused');
      const held = await page.getAttribute('#train-status', 'data-steps');
      await page.waitForTimeout(500);
      assert.ok(Number(await page.getAttribute('#train-status', 'data-steps')) <= Number(held) + 1, 'paused training does not go on');
      await page.click('#train-pause');
    }
    await page.waitForFunction(() => Number(document.getElementById('train-status').dataset.steps) >= 40, null, { timeout: 180_000 });
    await page.click('#train-stop');
    await page.waitForFunction(() => document.getElementById('train-status').dataset.state === 'idle');
    const losses = JSON.parse(await page.getAttribute('#train-status', 'data-losses'));
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 5));
    const last = mean(losses.slice(-10));
    // Untrained 10-way softmax starts near ln 10 ≈ 2.30.
    assert.ok(Math.abs(first - Math.log(10)) < 0.3, `initial loss ${first}`);
    assert.ok(last < first - 0.3, `loss went down: first 5 steps ${first.toFixed(3)}, last 10 ${last.toFixed(3)} (${losses.length} steps)`);
    // No tensor leaks per step: the live count is the same from the second step on (momentum buffers exist by then).
    const live = (await page.getAttribute('#train-status', 'data-live-tensors')).split(',').map(Number);
    assert.ok(live.length >= 40 && new Set(live.slice(1)).size === 1, `live tensors per step: ${live.join(',')}`);
    const status = await page.textContent('#train-status');
    assert.match(status, new RegExp(`\\d+ images/s on ${backend}`));
    assert.match(status, /stopped/);
    const chart = await shoot(page, '#train-chart', `train-chart-${backend}`);
    assert.ok(chart.orange > 0.002, `loss curve drawn: ${JSON.stringify(chart)}`);
    assert.equal(await page.isDisabled('#draw-use-trained'), false, 'the trained model can classify drawings');
    await shoot(page, '#train', `train-panel-${backend}`);
  }

  test('benchmark runs the quick workloads and draws GFLOP/s and GB/s bars with threads stated', async () => {
    const page = await panelPage();
    await page.selectOption('#bench-runs', '3');
    await page.click('#bench-run');
    await page.waitForFunction(() => document.getElementById('bench-status').dataset.done !== undefined || !document.getElementById('bench-error').hidden, null, { timeout: 120_000 });
    assert.equal(await page.isHidden('#bench-error'), true, await page.textContent('#bench-error'));
    const status = await page.textContent('#bench-status');
    assert.match(status, /threads: (\w+ (\d+ threads?|GPU), )*cpu 1 thread/);
    for (const unit of ['GFLOP/s', 'GB/s']) {
      const shot = await shoot(page, `canvas[data-unit="${unit}"]`, `bench-${unit.replace('/', '-per-')}`);
      assert.ok(shot.blue > 0.005 && shot.std > 10, `${unit} bars drawn: ${JSON.stringify(shot)}`);
    }
    await shoot(page, '#bench', 'bench-panel');
    assert.deepEqual(pageErrors, []);
  });

  test('error paths show their message: bad image file, impossible convolution, missing data asset', async () => {
    const page = await openPage();
    await page.setInputFiles('#conv-file', { name: 'not-an-image.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG') });
    await page.waitForSelector('#conv-error:not([hidden])');
    assert.match(await page.textContent('#conv-error'), /image: "not-an-image.png" is not an image this browser can decode/);
    // Valid padding with a dilated kernel wider than the picture: core's message, naming op and argument.
    await page.selectOption('#conv-padding', 'valid');
    await page.fill('#conv-dilation', '100');
    await page.waitForFunction(() => /conv2d/.test(document.getElementById('conv-error').textContent));
    assert.match(await page.textContent('#conv-error'), /convolution: conv2d: .*expected/);
    await shoot(page, '#conv', 'error-conv');
    await page.route('**/data/digits.bin', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.click('#train-start');
    await page.waitForSelector('#train-error:not([hidden])');
    assert.match(await page.textContent('#train-error'), /training: cannot load .*digits\.bin: HTTP 404/);
    assert.equal(await page.getAttribute('#train-status', 'data-state'), 'idle');
    await shoot(page, '#train', 'error-train');
    assert.deepEqual(pageErrors, []);
  });

  test('served without COOP/COEP the page says it is not isolated, and still works', async () => {
    const plain = await plainServer();
    try {
      const page = await openPage(`http://127.0.0.1:${plain.address().port}/`);
      assert.equal(await page.getAttribute('#isolation', 'data-isolated'), 'false');
      assert.match(await page.textContent('#isolation'), /not cross-origin isolated: .*Cross-Origin-Opener-Policy/);
      await shoot(page, 'header', 'not-isolated-banner');
      const output = await shoot(page, '#conv-output', 'not-isolated-conv');
      assert.ok(output.blue > 0.01, JSON.stringify(output));
    } finally {
      await new Promise((r) => plain.close(r));
    }
  });

  test('the dev server serves the same page, isolated, with its data', async () => {
    const dev = await createViteServer({ root, logLevel: 'warn', server: { port: 0, host: '127.0.0.1', strictPort: false } });
    await dev.listen();
    try {
      const page = await openPage(dev.resolvedUrls.local[0]);
      assert.equal(await page.getAttribute('#isolation', 'data-isolated'), 'true');
      await page.waitForFunction(() => /pretrained/.test(document.getElementById('draw-model').textContent), null, { timeout: 30_000 });
      const output = await shoot(page, '#conv-output', 'dev-conv');
      assert.ok(output.blue > 0.01 && output.orange > 0.01, JSON.stringify(output));
      assert.deepEqual(pageErrors, []);
    } finally {
      await dev.close();
    }
  });
});
