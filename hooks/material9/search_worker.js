/*
 * Search that understands readers: a prelude to Material's own search worker.
 *
 * scripts.py writes this file and Material's search worker into one worker file
 * (this first). Material's worker, its lunr index, its results and its highlighting stay
 * as they are: the reader's query is rewritten before Material's worker sees it, and the
 * pages of its answer are put in a new order. The one contract used is Material's
 * documented search worker protocol: {type: 0 SETUP, data: {config, docs, options}},
 * {type: 2 QUERY, data: "query"} and {type: 3 RESULT, data: {items: [[doc, ...], ...]}}
 * (one list per page, its sections with their scores), plus lunr's own Builder and
 * invertedIndex, which Material's worker exposes as self.lunr.
 *
 * What the rewrite does (measured on the query set in tests/test_search.py):
 * 1. Question and filler words, English and Hinglish ("what", "is", "how", "kya", "hai",
 *    "kaise", "me", "to", ...), are left out of the query when it has other words: "docker
 *    kya hai" searches for "docker". A query made only of such words is searched as typed,
 *    and the index keeps every word ("me", "to", "do" are real words in the notes).
 * 2. A word of four letters or more that is in no note, not even as the start of a word,
 *    is read as a misspelling: it is replaced by the notes' words nearest to it (edit
 *    distance 1 for 4-5 letters, 2 from 6, a swap of two neighbouring letters counting
 *    as one edit), weighted below the words that matched as typed. Material then
 *    highlights the words that matched ("dokcer" finds and marks "Docker").
 * 3. Everything a reader types is a word to find, never query syntax: a leading "-" or
 *    "+" (`--omit=dev`) or a stray "~", "^", "*" no longer makes lunr drop or change a
 *    term. Words in double quotes must all be on the page, as in Material.
 * 4. Pages that have more of the query's words come first; among pages that have as many,
 *    a page ranks by the sum of its sections' scores, not by its best section alone.
 */
(() => {
  "use strict";

  const SETUP = 0;
  const QUERY = 2;
  const RESULT = 3;

  // Boosts (lunr takes whole numbers): a word as typed counts more than a correction.
  const EXACT_BOOST = 10;
  const CORRECTION_BOOST = 2;
  const MAX_CORRECTIONS = 3;

  // Question and filler words. Left out of a query that has other words; never removed
  // from the index. English, then Hinglish (with its common spellings).
  const FILLER = new Set([
    // English
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did",
    "to", "of", "in", "on", "at", "for", "with", "by", "from", "into", "and", "or", "not",
    "vs", "versus", "what", "whats", "which", "who", "why", "how", "when", "where", "there",
    "this", "that", "these", "those", "it", "its", "i", "we", "you", "my", "our", "your",
    "me", "us", "can", "could", "should", "would", "will", "shall", "may", "might", "must",
    "need", "needs", "use", "mean", "means", "meaning", "difference", "between", "explain",
    "about", "some", "any", "get", "way", "work", "works", "if", "so", "one", "inside",
    // Hinglish
    "kya", "kyaa", "hai", "hain", "hota", "hoti", "hote", "ho", "hua", "hui", "hue",
    "kaise", "kese", "kaisa", "kaisi", "kyu", "kyun", "kyon", "kyo", "kab", "kaha", "kahan",
    "kidhar", "kaun", "kaunsa", "kaunsi", "kitna", "kitne", "kitni", "ka", "ki", "ke", "ko",
    "se", "me", "mein", "mai", "pe", "par", "aur", "ya", "bhi", "to", "toh", "ye", "yeh",
    "wo", "woh", "vo", "iska", "uska", "iski", "uski", "ek", "kar", "kare", "karo", "karte",
    "karta", "karti", "karna", "karein", "kr", "krte", "krna", "kaam", "hum", "main",
    "mujhe", "hame", "humein", "apna", "apne", "chahiye", "sakte", "sakta", "sakti",
    "farak", "fark", "farq", "matlab", "wala", "wali", "wale", "aa", "aata", "aati", "aate",
    "jaata", "jata", "jaati", "jati", "raha", "rahi", "rahe", "rha", "rhi",
  ]);

  let material = null;  // Material's message listener
  let index = null;     // Material's lunr index, once built
  let vocabulary = null;
  let separator = /[\s-]+/;
  // The latest query's words, each with what stands for it (a misspelling: its
  // corrections). Material's worker answers a query before it reads the next message (its
  // reply is posted from a microtask), so the answer being ranked is always to these.
  let asked = [];

  // Material's worker registers its "message" listener when it loads, right after this
  // prelude. Keep it, and hand it the messages ourselves (queries rewritten).
  const addEventListener = self.addEventListener.bind(self);
  self.addEventListener = (type, listener, options) => {
    if (type === "message" && material === null) material = listener;
    else addEventListener(type, listener, options);
  };

  // Material ranks a page by its best section alone, so a short note that is one section
  // outranks a long note whose sections each say a little: "what is a container" put the
  // Redis note above the Docker note. A page's rank is the sum of its sections' scores;
  // its entry carries that sum, so Enter (best score) opens the first page listed.
  const postMessage = self.postMessage.bind(self);
  self.postMessage = message => postMessage(message && message.type === RESULT ? ranked(message) : message);

  addEventListener("message", event => {
    let data = event.data;
    if (data && data.type === SETUP) {
      setup(data.data);
    } else if (data && data.type === QUERY && typeof data.data === "string") {
      data = { type: QUERY, data: rewrite(data.data) };
    }
    material(new MessageEvent("message", { data }));
  });

  // A word common in titles ("access", "json", "resource") lifts any page with it in a
  // title above the page that has every word of the query ("Access-Control-Allow-
  // Credentials" put the JWT note above CORS): so a page's first key is how many of the
  // query's words its sections have (Material's `terms`: which clauses each one matched).
  function ranked({ type, data }) {
    const pages = data.items.map(group => {
      const score = group.reduce((sum, doc) => sum + doc.score, 0);
      const found = new Set();
      for (const doc of group)
        for (const [term, matched] of Object.entries(doc.terms || {})) if (matched) found.add(term);
      const covered = asked.filter(terms => terms.some(term => found.has(term))).length;
      const items = group.map(doc => doc.location.includes("#") ? doc : { ...doc, score });
      return { items, score, covered };
    });
    pages.sort((a, b) => b.covered - a.covered || b.score - a.score);
    return { type, data: { ...data, items: pages.map(page => page.items) } };
  }

  function setup({ config }) {
    separator = new RegExp(config.separator);
    // Material builds one lunr index from the documents; keep a reference to read its words.
    const lunr = self.lunr;
    const build = lunr.Builder.prototype.build;
    lunr.Builder.prototype.build = function () {
      index = build.call(this);
      vocabulary = null;
      return index;
    };
  }

  function words() {
    if (vocabulary === null)
      vocabulary = index ? Object.keys(index.invertedIndex).sort() : [];
    return vocabulary;
  }

  // True if some word of the notes is `word` or starts with it.
  function known(word) {
    const list = words();
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < word) lo = mid + 1; else hi = mid;
    }
    return lo < list.length && list[lo].startsWith(word);
  }

  // Edit distance with adjacent swaps (optimal string alignment), or max + 1 once over max.
  function distance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let before = null, previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      let best = i;
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
          d = Math.min(d, before[j - 2] + 1);
        current.push(d);
        best = Math.min(best, d);
      }
      if (best > max) return max + 1;
      before = previous;
      previous = current;
    }
    return previous[b.length];
  }

  function documents(word) {
    const posting = index.invertedIndex[word] || {};
    const refs = new Set();
    for (const field of Object.keys(posting))
      if (field !== "_index") for (const ref of Object.keys(posting[field])) refs.add(ref);
    return refs.size;
  }

  // The notes' words nearest to a misspelled word: the fewest edits first, then the
  // words found on the most sections.
  function corrections(word) {
    const max = word.length >= 6 ? 2 : 1;
    let found = [], least = max + 1;
    for (const candidate of words()) {
      if (candidate.length < 3) continue;
      const d = distance(word, candidate, Math.min(max, least));
      if (d < least) { least = d; found = [candidate]; }
      else if (d === least && d <= max) found.push(candidate);
    }
    return found
      .map(candidate => [candidate, documents(candidate)])
      .sort((x, y) => y[1] - x[1])
      .slice(0, MAX_CORRECTIONS)
      .map(([candidate]) => candidate);
  }

  // The reader's words: lower case, split as the index splits text, lunr's syntax
  // characters taken as separators; each with whether it was in double quotes.
  function parse(query) {
    const parsed = [];
    query.toLowerCase().split('"').forEach((part, i) => {
      for (const piece of part.split(separator))
        for (let word of piece.split(/[~^*+:]+/)) {
          word = word.replace(/^\W+|\W+$/g, "");
          if (word) parsed.push({ word, required: i % 2 === 1 });
        }
    });
    return parsed;
  }

  function rewrite(query) {
    const parsed = parse(query);
    const content = parsed.filter(({ word }) => !FILLER.has(word));
    const clauses = [];
    const searched = content.length ? content : parsed;
    asked = [];
    searched.forEach(({ word, required }, i) => {
      const presence = required ? "+" : "";
      // Words match as prefixes ("token" finds "tokens"), but for one or two letters only
      // while the reader may still be typing them: "no" in "no-store" is not "node".
      const prefix = word.length > 2 || i === searched.length - 1 ? "*" : "";
      if (word.length < 4 || /^\d+$/.test(word) || !index || known(word)) {
        clauses.push(`${presence}${word}${prefix}^${EXACT_BOOST}`);
        asked.push([word]);
        return;
      }
      const nearest = corrections(word);
      if (!nearest.length) clauses.push(`${presence}${word}*^${EXACT_BOOST}`);
      for (const candidate of nearest) clauses.push(`${candidate}*^${CORRECTION_BOOST}`);
      asked.push(nearest.length ? nearest : [word]);
    });
    return clauses.join(" ");
  }
})();
