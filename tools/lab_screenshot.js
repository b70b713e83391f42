// Check lesson 08's classroom in a real JupyterLab with headless Chromium, as a lecturer would
// before class, and write screenshots. Not part of CI (it needs a browser and a running server).
//
// Install once (Debian/Ubuntu; as root, or with sudo):
//   apt-get update && apt-get install -y chromium
//   cd /tmp && npm install playwright-core@1          # the browser driver only, no browser download
//
// Serve a copy of the lessons (JupyterLab autosaves outputs into the notebooks it opens), with a token:
//   rm -rf /tmp/lab-notebooks && cp -r notebooks /tmp/lab-notebooks
//   WGAN_TOYS_CLASSROOM_TIMING=1 .venv/bin/jupyter lab --no-browser --ip 127.0.0.1 --port 8899 \
//       --IdentityProvider.token=SECRET --notebook-dir /tmp/lab-notebooks &
// (WGAN_TOYS_CLASSROOM_TIMING=1 makes the widget show its timing line, which this check reads.)
// As root, jupyter refuses to start without --allow-root: add it (or run as a normal user).
//
// Run, from the repository root:
//   NODE_PATH=/tmp/node_modules node tools/lab_screenshot.js --url http://127.0.0.1:8899 --token SECRET --out /tmp/lab
// (the token may come from JUPYTER_TOKEN instead; --chromium PATH if it is not /usr/bin/chromium).
//
// What it does, failing (exit 1, with the reason) at the first thing that is wrong:
//   - opens 08_classroom.ipynb; a login page (no token, or a wrong one) is an error that says so;
//   - dismisses JupyterLab's notification toasts (the "official Jupyter news?" question) so that
//     nothing covers the widget, and collapses the left sidebar (Ctrl+B), as a lecturer would;
//   - restarts the kernel and runs every cell, timing it from the menu click to the widget's first
//     picture ("ready widget"); any error output in a cell, or any error on the browser's console
//     or an uncaught page error, fails the check;
//   - at a 1280x720 viewport (a projector's), with the widget scrolled to the top of the notebook,
//     asserts that the whole widget (controls, notes and picture) is in the notebook's view: at
//     step 0, with projector on, the sliders, the notice and the timing shown (and control fonts
//     >= 14 px there), under the toy-script preset (whose bias line must be visible), after the
//     data-set and algorithm changes, and after a reset;
//   - presses every control of the classroom: critic step, critic x20, generator step, run then
//     pause (the play/pause button, found by its fa-play/fa-pause icon, pressed twice: it shows
//     pause while playing, and the picture must not change while paused), stop (the fa-stop
//     button: no step), reset, the data set, algorithm and preset dropdowns,
//     the learning rate, n_critic, c or lambda and speed sliders (behind the 'sliders' toggle), and
//     the projector box. After each button and
//     each dropdown or projector change it asserts that the picture changed (the image's bytes)
//     and that the timing line names that press; after a slider change it asserts that the
//     notice line says the change applies without a restart;
//   - measures the time from a click (the page's mousedown event) to the new image (the img
//     element's load event) for 'critic step' and 'generator step', several presses each, and for
//     each data-set and algorithm change, and prints the medians beside the widget's own timing
//     line; a data-set or algorithm change over --change-ms (default 300) fails the check;
//   - writes before.png, after_presses.png, projector.png and final.png to --out.
const path = require('path');
const fs = require('fs');

function option(name, fallback) {
  const index = process.argv.indexOf('--' + name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const baseUrl = option('url', 'http://127.0.0.1:8899').replace(/\/$/, '');
const token = option('token', process.env.JUPYTER_TOKEN || '');
const out = option('out', '/tmp/lab');
const notebook = option('notebook', '08_classroom.ipynb');
const chromiumPath = option('chromium', '/usr/bin/chromium');
const presses = Number(option('presses', '7'));
const changeLimit = Number(option('change-ms', '300'));
const VIEWPORT = { width: 1280, height: 720 };

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (error) {
  console.error('playwright-core not found: cd /tmp && npm install playwright-core@1, then run with NODE_PATH=/tmp/node_modules');
  process.exit(1);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(`no browser at ${chromiumPath}: apt-get update && apt-get install -y chromium, or pass --chromium PATH`);
  process.exit(1);
}
fs.mkdirSync(out, { recursive: true });

const problems = [];  // console errors and page errors, reported at the end of each step
const median = (values) => { const s = [...values].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function dismissToasts(page) {
  // JupyterLab 4 asks "Would you like to get notified about official Jupyter news?" in a toast
  for (const name of ['No', 'Dismiss']) {
    const buttons = page.locator(`.jp-toast-button:has-text("${name}"), .Toastify button:has-text("${name}")`);
    for (let i = await buttons.count(); i > 0; i--) await buttons.first().click().catch(() => {});
  }
  const closers = page.locator('.Toastify__close-button, .jp-Notification-Toast-Close, .jp-toast-close');
  for (let i = await closers.count(); i > 0; i--) await closers.first().click().catch(() => {});
}

async function imageBytes(page) {
  // the classroom's view: the widget's <img>, read back as bytes from its blob: URL
  return page.evaluate(async () => {
    const image = document.querySelector('.widget-image');
    const response = await fetch(image.src);
    const buffer = new Uint8Array(await response.arrayBuffer());
    let hash = 0;
    for (let i = 0; i < buffer.length; i++) hash = (hash * 31 + buffer[i]) >>> 0;
    return `${buffer.length}:${hash}`;
  });
}

async function timedPress(page, target, label) {
  // click `target`, wait for the image's next load; return milliseconds from the click to the
  // loaded image. The click's instant is the page's own mousedown event (captured on the
  // document, before the widget sees it), not the moment Playwright is asked to click: Playwright
  // first waits for the button to be visible and stable over two animation frames, which adds
  // 25-130 ms on this machine and is no part of a person's click. A control changed without a
  // mouse (the keyboard on a slider) counts from the call instead.
  await page.evaluate(() => {
    const image = document.querySelector('.widget-image');
    window.__loaded = null;
    window.__clicked = null;
    image.addEventListener('load', () => { window.__loaded = performance.now(); }, { once: true });
    document.addEventListener('mousedown', () => { window.__clicked = performance.now(); }, { once: true, capture: true });
  });
  const start = await page.evaluate(() => performance.now());
  await target();
  await page.waitForFunction(() => window.__loaded !== null, null, { timeout: 60000 })
    .catch(() => { throw new Error(`${label}: the picture did not change within 60 s`); });
  return page.evaluate((t0) => window.__loaded - (window.__clicked === null ? t0 : window.__clicked), start);
}

async function label(page, text) {
  return (await page.locator(`.widget-label:has-text("${text}"), .widget-html:has-text("${text}")`).first().textContent()) || '';
}

async function pressAndCheck(page, name, action, timingWords) {
  const before = await imageBytes(page);
  const ms = await timedPress(page, action, name);
  await page.waitForTimeout(150);  // the label arrives with or just after the image
  const after = await imageBytes(page);
  check(after !== before, `${name}: the image did not change`);
  if (timingWords) {
    const timing = await label(page, 'last ');
    check(timing.includes(timingWords), `${name}: the timing line says "${timing}", expected "${timingWords}"`);
  }
  check(problems.length === 0, `${name}: ${problems.join('; ')}`);
  const timing = await label(page, 'last ');
  const widgetMs = Number((timing.match(/(\d+) ms/) || [])[1]);
  console.log(`  ${name}: picture changed, ${ms.toFixed(0)} ms click to image (widget's line: ${widgetMs} ms)`);
  return [ms, widgetMs];
}

async function assertFits(page, what) {
  // the widget scrolled to the top of the notebook's scrolling area, then its box against that area's
  for (let i = 0; i < 3; i++) {  // JupyterLab's notebook is a windowed list: scroll its own area, then settle
    await page.evaluate(() => {
      const widget = document.querySelector('.wgan-classroom');
      const area = widget.closest('.jp-WindowedPanel-outer') || widget.closest('.jp-Notebook');
      if (area) area.scrollTop += widget.getBoundingClientRect().top - area.getBoundingClientRect().top - 4;
      else widget.scrollIntoView({ block: 'start' });
    });
    await page.waitForTimeout(400);
  }
  const boxes = await page.evaluate(() => {
    const widget = document.querySelector('.wgan-classroom');
    const area = widget.closest('.jp-WindowedPanel-outer') || widget.closest('.jp-Notebook') || document.body;
    const w = widget.getBoundingClientRect();
    const a = area.getBoundingClientRect();
    return { widget: [w.left, w.top, w.right, w.bottom], area: [a.left, a.top, a.right, a.bottom] };
  });
  const [wl, wt, wr, wb] = boxes.widget;
  const [al, at, ar, ab] = boxes.area;
  const fits = wl >= al - 1 && wt >= at - 1 && wr <= ar + 1 && wb <= ab + 1;
  check(fits, `${what}: the widget spans x ${wl.toFixed(0)}-${wr.toFixed(0)}, y ${wt.toFixed(0)}-${wb.toFixed(0)} ` +
    `but the notebook shows x ${al.toFixed(0)}-${ar.toFixed(0)}, y ${at.toFixed(0)}-${ab.toFixed(0)} at ` +
    `${VIEWPORT.width}x${VIEWPORT.height}`);
  console.log(`  ${what}: the whole widget is in view (${(wr - wl).toFixed(0)}x${(wb - wt).toFixed(0)} px of ` +
    `${(ar - al).toFixed(0)}x${(ab - at).toFixed(0)})`);
}

async function selectOption(page, description, value) {
  const select = page.locator(`.widget-dropdown:has(label:text-is("${description}")) select`);
  await select.selectOption(value);
}

async function nudgeSlider(page, description, key) {
  const handle = page.locator(`.widget-slider:has(label:text-is("${description}")) .noUi-handle`).first();
  await handle.focus();
  await page.keyboard.press(key);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  const url = `${baseUrl}/lab/tree/${notebook}` + (token ? `?token=${encodeURIComponent(token)}` : '');
  const response = await page.goto(url, { waitUntil: 'domcontentloaded' }).catch((error) => {
    throw new Error(`cannot reach ${baseUrl} (${error.message.split('\n')[0]}): is jupyter lab running there?`);
  });
  if (page.url().includes('/login') || (await page.locator('input[name="password"]').count()) > 0) {
    throw new Error(`JupyterLab shows its login page at ${baseUrl}: ` +
      (token ? 'the token was refused (a different server, or a typo?)' :
        'pass --token TOKEN or set JUPYTER_TOKEN (the server prints its token at start)'));
  }
  check(response && response.ok(), `GET ${url} answered ${response && response.status()}`);
  await page.waitForSelector('.jp-Notebook', { timeout: 90000 });
  await page.waitForTimeout(3000);
  await dismissToasts(page);
  // a lecturer collapses the file browser: the notebook gets the screen's width
  if (await page.evaluate(() => { const left = document.querySelector('#jp-left-stack'); return !!left && left.offsetWidth > 0; })) {
    await page.keyboard.press('Control+b');
    await page.waitForTimeout(500);
  }
  problems.length = 0;  // the page's own start-up noise (e.g. an extension manager offline) is not the lesson's

  console.log('restart the kernel, run every cell');
  await page.click('.lm-MenuBar-itemLabel:text-is("Kernel")');
  await page.click('.lm-Menu-itemLabel:text-is("Restart Kernel and Clear Outputs of All Cells…")');
  await page.click('.jp-Dialog button.jp-mod-accept');
  await page.waitForTimeout(3000);
  await page.click('.lm-MenuBar-itemLabel:text-is("Run")');
  const runAll = Date.now();
  await page.click('.lm-Menu-itemLabel:text-is("Run All Cells")');
  await page.waitForSelector('button:has-text("critic step")', { timeout: 300000 });
  await page.waitForFunction(() => { const image = document.querySelector('.widget-image'); return image && image.complete && image.naturalWidth > 0; },
    null, { timeout: 300000 });
  const readyMs = Date.now() - runAll;
  // every cell ran: no cell is waiting or running ("[*]")
  await page.waitForFunction(() => ![...document.querySelectorAll('.jp-InputPrompt')].some((p) => p.textContent.includes('*')),
    null, { timeout: 300000 });
  await dismissToasts(page);
  const errors = await page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]').allTextContents();
  check(errors.length === 0, `a cell failed: ${errors.join('\n').slice(0, 2000)}`);
  check(problems.length === 0, problems.join('; '));
  console.log(`  every cell ran without an error; the widget's first picture ${(readyMs / 1000).toFixed(1)} s after Run All`);

  await assertFits(page, 'at step 0');
  await page.screenshot({ path: path.join(out, 'before.png') });
  const defaults = await label(page, 'at toy scale');
  check(defaults.startsWith('wgan-gp at toy scale'), `the defaults line says "${defaults}"`);

  const button = (text) => () => page.locator(`button.jupyter-button:text-is("${text}")`).click();
  console.log('press every control');
  const times = { 'critic step': [], 'generator step': [] };
  const widgetTimes = { 'critic step': [], 'generator step': [] };
  for (let i = 0; i < presses; i++) {
    for (const name of ['critic step', 'generator step']) {
      const [ms, widgetMs] = await pressAndCheck(page, name, button(name), `last ${name}`);
      times[name].push(ms);
      widgetTimes[name].push(widgetMs);
    }
  }
  await pressAndCheck(page, 'critic x20', button('critic x20'), 'last critic x20');
  await page.screenshot({ path: path.join(out, 'after_presses.png') });

  // run (play) for a few ticks, then pause (the same button), then stop, which must not step.
  // ipywidgets 8's play control has play/pause (one button: its icon is fa-play, fa-pause while
  // playing), stop (fa-stop) and repeat (fa-retweet; hidden here: show_repeat=False). The buttons
  // are found by their icons, not by position, and the play button must show pause while it plays.
  const playButtons = page.locator('.widget-play button:visible');
  check(await playButtons.count() === 2, `the play control shows ${await playButtons.count()} buttons, expected play/pause and stop`);
  const playPause = page.locator('.widget-play button:visible:has(i.fa-play), .widget-play button:visible:has(i.fa-pause)');
  const stop = page.locator('.widget-play button:visible:has(i.fa-stop)');
  check(await playPause.count() === 1 && await stop.count() === 1, 'the play control has no single play/pause and stop button');
  check(await page.locator('.widget-play button:visible:has(i.fa-retweet)').count() === 0, 'the repeat button is shown');
  await pressAndCheck(page, 'run', () => playPause.click(), 'last iteration');
  await page.waitForTimeout(1500);
  check(await page.locator('.widget-play button:visible i.fa-pause').count() === 1, 'run: the play button shows no pause icon while playing');
  await playPause.click();  // pause
  await page.waitForTimeout(1000);  // a tick already sent lands
  check(await page.locator('.widget-play button:visible i.fa-play').count() === 1, 'pause: the play button does not show play again');
  const paused = await imageBytes(page);
  await page.waitForTimeout(2000);
  check(await imageBytes(page) === paused, 'pause: the picture changed while paused');
  await stop.click();  // stop: sets the count back to 0
  await page.waitForTimeout(1500);
  check(await imageBytes(page) === paused, 'stop: the picture changed, so stop ran an iteration');
  console.log('  run, pause, stop: ran while playing (pause icon shown); no step while paused; stop took no step');
  await page.locator('button:text-is("sliders")').click();  // the sliders' row
  await page.waitForTimeout(500);

  for (const [description, key] of [['learning rate', 'ArrowLeft'], ['n_critic', 'ArrowRight'], ['lambda', 'ArrowRight']]) {
    await nudgeSlider(page, description, key);
    await page.waitForTimeout(800);
    const notice = await label(page, 'applies from the next step');
    check(notice.includes('no restart'), `${description} slider: the notice line says "${notice}"`);
    check(problems.length === 0, `${description}: ${problems.join('; ')}`);
    console.log(`  ${description} slider: ${notice}`);
  }
  await nudgeSlider(page, 'ms per step', 'ArrowRight');
  await pressAndCheck(page, 'projector on', () => page.locator('.widget-checkbox input').click(), 'last projector change');
  await assertFits(page, 'projector on, sliders shown, notice and timing shown');
  const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll(
    '.wgan-classroom .widget-button, .wgan-classroom .widget-toggle-button, .wgan-classroom select, .wgan-classroom .widget-label')]
    .filter((e) => e.offsetWidth > 0).map((e) => parseFloat(getComputedStyle(e).fontSize))));
  check(smallest >= 14, `projector on: the smallest control font is ${smallest} px, expected >= 14 px`);
  console.log(`  projector on: control fonts >= ${smallest} px`);
  await page.screenshot({ path: path.join(out, 'projector.png') });
  await pressAndCheck(page, 'projector off', () => page.locator('.widget-checkbox input').click(), 'last projector change');
  await page.locator('button:text-is("sliders")').click();  // hide them again: the widget must fit
  await page.waitForTimeout(500);
  const changes = [];
  for (const name of ['25gaussians', 'swissroll', '2clusters', '8gaussians']) {
    changes.push([`data set ${name}`, ...await pressAndCheck(page, `data set ${name}`, () => selectOption(page, 'data', name), 'last dataset change')]);
  }
  // a preset restarts at step 0, whose picture is the same under both presets: read the note instead
  await selectOption(page, 'preset', 'toy script');
  await page.waitForFunction(() => document.body.textContent.includes('overshoot W1'), null, { timeout: 60000 })
    .catch(() => { throw new Error('preset toy script: the note never explained the bias of lambda = 0.1'); });
  const toy = await label(page, 'at toy scale');
  check(toy.includes('lambda = 0.1'), `the toy preset's note says "${toy}"`);
  // the bias is on screen, not only in the hover text: its line is visible inside the widget's box
  const biasShown = await page.evaluate(() => [...document.querySelectorAll('.wgan-note div')].some((line) => {
    const box = line.getBoundingClientRect();
    return line.textContent.includes('overshoot W1') && box.height > 0 && box.bottom <= window.innerHeight;
  }));
  check(biasShown, 'preset toy script: the line that explains the bias is not visible');
  await assertFits(page, 'preset toy script');
  await selectOption(page, 'preset', "paper's claim");
  await page.waitForFunction(() => !document.body.textContent.includes('overshoot W1'), null, { timeout: 60000 });
  console.log('  preset: the toy script states lambda = 0.1 and its bias; the paper preset restores lambda = 10');
  for (const name of ['gan-minimax', 'wgan-gp', 'wgan']) {
    changes.push([`algorithm ${name}`, ...await pressAndCheck(page, `algorithm ${name}`, () => selectOption(page, 'algorithm', name), 'last algorithm change')]);
  }
  const slow = changes.filter(([, ms]) => ms > changeLimit);
  check(slow.length === 0, `changes over ${changeLimit} ms click to image: ${slow.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join(', ')}`);
  await assertFits(page, 'after the changes');
  const wgan = await label(page, 'at toy scale');
  check(wgan.startsWith('wgan at toy scale') && wgan.includes('c = 0.01'), `after choosing wgan the defaults line says "${wgan}"`);
  await pressAndCheck(page, 'critic step (wgan)', button('critic step'), 'last critic step');
  await pressAndCheck(page, 'reset', button('reset'), 'last reset');
  await assertFits(page, 'after reset');
  await page.screenshot({ path: path.join(out, 'final.png') });

  console.log(`data-set and algorithm changes, click to image: ${changes.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join(', ')}`);
  console.log(`ready widget: ${(readyMs / 1000).toFixed(1)} s from Run All to its first picture`);
  for (const [name, values] of Object.entries(times)) {
    console.log(`${name}: median ${median(values).toFixed(0)} ms click to image, ` +
      `${median(widgetTimes[name])} ms by the widget's line, over ${values.length} presses ` +
      `(click to image: ${values.map((v) => v.toFixed(0)).join(', ')})`);
  }
  console.log(`screenshots in ${out}: before.png after_presses.png projector.png final.png`);
  await browser.close();
})().catch((error) => {
  console.error(`lab check failed: ${error.message}`);
  process.exit(1);
});
