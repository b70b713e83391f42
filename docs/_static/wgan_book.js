// The course book's script (docs/conf.py: html_js_files): every figure shown narrower than its own
// size becomes a link to itself, which the browser opens at full size (a wide three-panel figure is
// shown at the column's width, its tick labels too small to read there).
document.addEventListener('DOMContentLoaded', () => {
  const link = (img) => {
    if (img.closest('a') || !img.naturalWidth || img.width >= 0.98 * img.naturalWidth) return;
    const anchor = document.createElement('a');
    anchor.href = img.currentSrc || img.src;
    anchor.target = '_blank';
    anchor.className = 'wgan-enlarge';
    anchor.title = 'open the figure at its full size';
    img.replaceWith(anchor);
    anchor.appendChild(img);
  };
  for (const img of document.querySelectorAll('div.cell_output img, figure img, main img')) {
    if (img.complete) link(img);
    else img.addEventListener('load', () => link(img), { once: true });
  }
});
