// Search ranking for the course book (docs/conf.py: html_search_scorer): lessons and guide pages
// first, then the API entries; Sphinx's default puts an object's name match above a lesson's title.
var Scorer = {
  score: (result) => {
    const [docname, , , , score] = result;
    if (docname.startsWith('lessons/')) return score + 20;
    if (docname.startsWith('guide/') || docname === 'index') return score + 10;
    return score;
  },
  objNameMatch: 6,
  objPartialMatch: 3,
  objPrio: { 0: 8, 1: 3, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
