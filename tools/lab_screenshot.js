// Check the classroom widget in a real JupyterLab with headless Chromium, and take screenshots.
// Not part of CI (it needs Debian's chromium and npm's playwright-core). From the repository root:
//   apt-get install -y chromium && (cd /tmp && npm install playwright-core@1)
//   .venv/bin/jupyter lab --no-browser --port 8899 --ip 127.0.0.1 --ServerApp.token='' --allow-root notebooks &
//   NODE_PATH=/tmp/node_modules node tools/lab_screenshot.js /tmp/lab
// It restarts the kernel, runs every cell of 08_classroom.ipynb, presses "critic step" three
// times and "generator step" once, prints the widget's timing label and writes before/after PNGs.
const { chromium } = require('playwright-core');
const out = process.argv[2] || '.';
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  await page.goto('http://127.0.0.1:8899/lab/tree/08_classroom.ipynb', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.jp-Notebook', { timeout: 60000 });
  await page.waitForTimeout(6000);
  await page.click('text=Kernel >> nth=0'); await page.click('text=Restart Kernel and Clear Outputs of All Cells'); await page.waitForTimeout(1500); await page.keyboard.press('Enter'); await page.waitForTimeout(3000);
  await page.click('text=Run >> nth=0');
  await page.click('text=Run All Cells');
  // wait for the widget's buttons
  await page.waitForSelector('button:has-text("critic step")', { timeout: 180000 });
  await page.waitForTimeout(3000);
  const button = page.locator('button:has-text("critic step")');
  await button.scrollIntoViewIfNeeded();
  await page.screenshot({ path: require('path').join(out, 'lab_before.png') });
  for (let i = 0; i < 3; i++) { await button.click(); await page.waitForTimeout(1500); }
  await page.locator('button:has-text("generator step")').click();
  await page.waitForTimeout(2500);
  const label = await page.locator('text=last step + redraw').first().textContent();
  console.log('timing label:', label);
  await page.screenshot({ path: require('path').join(out, 'lab_after.png') });
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
