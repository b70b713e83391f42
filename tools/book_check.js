// Check the built course book (make book) in headless Chromium, from file:// with the network cut off,
// and take screenshots. Not part of CI (it needs Debian's chromium and npm's
// playwright-core). As root on Debian, from the repository root:
//   apt-get update && apt-get install -y chromium && (cd /tmp && npm install playwright-core@1)
//   make book
//   NODE_PATH=/tmp/node_modules node tools/book_check.js build/book /tmp/book-shots
// (make book-check runs the last two lines; SCREENSHOTS=DIR chooses the folder.)
// It visits every page reachable from index.html and fails (exit 1, one line per problem) on:
// - a request to http(s) (every such request is blocked and recorded: the book must work offline),
// - a file:// request that fails (a missing script, stylesheet, font or image),
// - a broken internal link (a file that does not exist, or a #fragment with no such id on its page),
// - an image that does not load (naturalWidth 0),
// - unrendered math: $...$, \( or \[ left in text outside code, or a MathJax error box,
// - a console error or an uncaught exception,
// - a figure shown below 60% of its own width that is not a link to itself (click to enlarge),
// - a code or output block that scrolls sideways (wider than the column),
// - a lesson page without a download link to its notebook,
// and checks that the search page finds 'wasserstein' and ranks a lesson first. It writes landing.png, lesson.png,
// lesson_figure.png and api.png into the screenshot folder.
const fs = require('fs');
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');
const { chromium } = require('playwright-core');

const bookDir = path.resolve(process.argv[2] || 'build/book');
const shotDir = path.resolve(process.argv[3] || '/tmp/book-shots');
const LESSON = 'lessons/02_gaussians_1d.html';
const API_PAGE = 'api/generated/wgan_toys.distances.html';

if (!fs.existsSync(path.join(bookDir, 'index.html'))) {
  console.error(`no ${path.join(bookDir, 'index.html')}: run make book first`);
  process.exit(2);
}
fs.mkdirSync(shotDir, { recursive: true });

const problems = [];
const problem = (page, what) => problems.push(`${page}: ${what}`);
const rel = (url) => path.relative(bookDir, fileURLToPath(url.split('#')[0].split('?')[0]));

// text outside code that still holds TeX delimiters, and MathJax's error boxes
function findRawMath() {
  const skip = 'pre, code, script, style, textarea, kbd, samp, mjx-container, .highlight, .MathJax';
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.textContent;
    const match = text.match(/\$[^$\s][^$]*\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/);
    if (match) raw.push(text.slice(Math.max(0, match.index - 30), match.index + 50).replace(/\s+/g, ' '));
  }
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')].map(
    (e) => 'MathJax error: ' + (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  return raw.map((r) => 'raw math in text: ...' + r + '...').concat(errors);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  let current = 'index.html';
  // the network is off: every http(s) request is blocked and recorded
  await context.route(/^https?:/, (route) => {
    problem(current, `external request ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problem(current, `console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problem(current, `uncaught exception: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (request.url().startsWith('file:')) problem(current, `failed to load ${rel(request.url())}`);
  });

  const start = pathToFileURL(path.join(bookDir, 'index.html')).href;
  const queue = [start];
  const seen = new Set(queue);
  const idsByPage = new Map();
  const fragments = []; // [from, target page, id]
  let mathPages = 0;
  while (queue.length) {
    const url = queue.shift();
    current = rel(url);
    await page.goto(url, { waitUntil: 'load' });
    const typeset = await page.evaluate(async () => {
      if (!window.MathJax || !window.MathJax.startup) return false;
      await window.MathJax.startup.promise;
      return document.querySelectorAll('mjx-container').length > 0;
    });
    if (typeset) mathPages += 1;
    for (const issue of await page.evaluate(findRawMath)) problem(current, issue);
    const broken = await page.evaluate(() => [...document.images]
      .filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.getAttribute('src')));
    for (const src of broken) problem(current, `image does not load: ${src}`);
    // wgan_book.js links a figure shown below its size to itself after the image loads
    await page.waitForTimeout(50);
    const small = await page.evaluate(() => [...document.querySelectorAll('div.cell_output img, figure img')]
      .filter((img) => img.naturalWidth > 0 && img.width < 0.6 * img.naturalWidth && !img.closest('a'))
      .map((img) => `${img.getAttribute('src')} at ${Math.round(100 * img.width / img.naturalWidth)}%`));
    for (const what of small) problem(current, `figure shown small with no way to enlarge it: ${what}`);
    const sideways = await page.evaluate(() => [...document.querySelectorAll('div.highlight pre, div.cell_output pre')]
      .filter((pre) => pre.scrollWidth > pre.clientWidth + 2).length);
    if (sideways) problem(current, `${sideways} code or output block(s) scroll sideways`);
    if (current.startsWith('lessons/') && !(await page.locator('p.wgan-download a[href$=".ipynb"]').count())) {
      problem(current, 'no download link to the lesson\'s notebook');
    }
    idsByPage.set(url, new Set(await page.evaluate(() => [...document.querySelectorAll('[id], a[name]')]
      .map((e) => e.id || e.getAttribute('name')))));
    const links = await page.evaluate(() => [...document.querySelectorAll('a[href]')].map((a) => a.href));
    for (const link of links) {
      if (!link.startsWith('file:')) continue;
      const [target, fragment] = link.split('#');
      const file = fileURLToPath(target.split('?')[0]);
      if (!fs.existsSync(file)) {
        problem(current, `broken link to ${path.relative(bookDir, file)}`);
        continue;
      }
      if (!file.startsWith(bookDir) || !file.endsWith('.html')) continue;
      const pageUrl = pathToFileURL(file).href;
      if (fragment) fragments.push([current, pageUrl, decodeURIComponent(fragment)]);
      if (!seen.has(pageUrl)) { seen.add(pageUrl); queue.push(pageUrl); }
    }
  }
  for (const [from, target, id] of fragments) {
    const ids = idsByPage.get(target);
    if (ids && !ids.has(id)) problem(from, `broken link to ${rel(target)}#${id}`);
  }
  const lessons = [...seen].filter((u) => rel(u).startsWith('lessons/'));
  if (lessons.length < 8) problem('index.html', `only ${lessons.length} lesson pages reachable`);
  if (mathPages === 0) problem('index.html', 'no page has typeset math');

  // search works from file://
  current = 'search.html';
  await page.goto(pathToFileURL(path.join(bookDir, 'search.html')).href + '?q=wasserstein', { waitUntil: 'load' });
  let hits = 0;
  try {
    await page.waitForSelector('#search-results li', { timeout: 20000 });
    await page.waitForFunction(() => /finished/i.test(document.querySelector('#search-results').innerText),
      null, { timeout: 20000 });
    hits = await page.locator('#search-results li').count();
    const first = await page.locator('#search-results li a').first().getAttribute('href');
    if (!first || !first.includes('lessons/')) problem('search.html', `'wasserstein' ranks ${first} first, not a lesson`);
  } catch (error) {
    problem('search.html', "searching 'wasserstein' found nothing");
  }

  const shoot = async (file, name, scrollTo) => {
    current = file;
    await page.goto(pathToFileURL(path.join(bookDir, file)).href, { waitUntil: 'load' });
    await page.evaluate(async () => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise);
    if (scrollTo) {
      if (await page.locator(scrollTo).count()) await page.locator(scrollTo).first().scrollIntoViewIfNeeded();
      else problem(file, `nothing matches ${scrollTo} (no executed figure?)`);
    }
    await page.screenshot({ path: path.join(shotDir, name) });
  };
  await shoot('index.html', 'landing.png');
  // one search box in view (the theme's header once repeated the sidebar's)
  const searchBoxes = await page.locator('.search-button-field, form.bd-search').evaluateAll(
    (elements) => elements.filter((element) => element.offsetParent !== null && element.getBoundingClientRect().width > 0).length);
  if (searchBoxes !== 1) problem('index.html', `${searchBoxes} search boxes in view, expected 1`);
  await shoot(LESSON, 'lesson.png');
  await shoot(LESSON, 'lesson_figure.png', '.cell_output img');
  await shoot(API_PAGE, 'api.png');
  await browser.close();

  console.log(`${seen.size} pages visited (${lessons.length} lessons, ${mathPages} with typeset math), `
    + `${fragments.length} #fragment links, search 'wasserstein': ${hits} results; screenshots in ${shotDir}`);
  if (problems.length) {
    console.log(`${problems.length} problem(s):`);
    for (const line of problems) console.log('  ' + line);
    process.exit(1);
  }
  console.log('no problems');
})().catch((error) => { console.error(error); process.exit(1); });
