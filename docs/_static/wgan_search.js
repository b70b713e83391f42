// Snippets under search results, offline (docs/conf.py: html_show_search_summary). Sphinx's search reads
// each result's page with fetch() and cuts a snippet from its text; from file:// the browser refuses
// fetch(). The book ships every page's text in wgan_page_text.js (written by _ext/wgan_book.py), and this
// script answers those requests from it: fetch() of a page it holds returns the page's name, and
// Search.htmlToText turns that name (and a result's anchor) into the page's text from there on.
(() => {
  const pages = window.WGAN_PAGE_TEXT || {};
  const marker = 'wgan-page:';
  const docName = (url) => {
    const options = window.DOCUMENTATION_OPTIONS || {};
    const root = document.documentElement.dataset.content_root || '';
    const suffix = options.FILE_SUFFIX || '.html';
    let path = String(url).split('#')[0].split('?')[0];
    if (root && path.startsWith(root)) path = path.slice(root.length);
    if (path.endsWith(suffix)) path = path.slice(0, -suffix.length);
    return Object.prototype.hasOwnProperty.call(pages, path) ? path : null;
  };
  const fetchPage = window.fetch ? window.fetch.bind(window) : null;
  window.fetch = (resource, init) => {
    const name = docName(typeof resource === 'string' ? resource : resource.url);
    if (name !== null) return Promise.resolve(new Response(marker + name));
    return fetchPage(resource, init);
  };
  const install = () => {
    if (typeof Search === 'undefined' || Search.wganText) return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (html, anchor) => {
      if (!html.startsWith(marker)) return htmlToText(html, anchor);
      const [text, anchors] = pages[html.slice(marker.length)];
      const id = anchor ? decodeURIComponent(anchor.replace(/^#/, '')) : '';
      return id && Object.prototype.hasOwnProperty.call(anchors, id) ? text.slice(anchors[id]) : text;
    };
    Search.wganText = true;
  };
  install();
  document.addEventListener('DOMContentLoaded', install);
})();
