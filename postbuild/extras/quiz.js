// "Khud se poochho" as one quiz on the revision page (issue 28). The questions are the notes'
// own `Sawaal:` boxes (docs/REVIEW.md, marking convention), fetched from the built notes
// (same origin) that the revision page links, so there is one source of truth. The reader
// reveals each answer and says "Sahi tha" or "Galat tha"; the marks live in this browser
// only, under notes:quiz, and survive a reload (and make the bundle load at once next time).
const KEY = "notes:quiz";
const MARK = "data-notes-quiz";

function load() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) || "{}");
    return value && typeof value.marks === "object" && value.marks ? value : { marks: {} };
  } catch {
    return { marks: {} }; // a damaged value starts a new quiz rather than breaking the page
  }
}

function save(state) {
  try {
    localStorage.setItem(KEY, JSON.stringify(state));
  } catch {
    // storage full or blocked: the quiz still runs, only the score is not kept
  }
}

function el(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The notes the revision page links to: same origin, not this page, in order of first link.
function noteUrls(article) {
  const here = location.href.split("#")[0];
  const seen = new Set();
  for (const a of article.querySelectorAll("a[href]")) {
    const url = new URL(a.href, location.href);
    url.hash = "";
    if (url.origin === location.origin && url.href !== here && url.pathname.endsWith("/")) seen.add(url.href);
  }
  return [...seen];
}

async function collect(urls) {
  const questions = [];
  for (const url of urls) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) continue;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const summary of page.querySelectorAll("article details.note > summary")) {
      const text = summary.textContent.trim();
      if (!text.startsWith("Sawaal:")) continue;
      const question = text.replace(/^Sawaal:\s*/, "").replace(/\s*\(editor ne joda\)$/, "");
      const answer = [...summary.parentElement.children].filter((child) => child !== summary);
      for (const node of answer)
        for (const a of node.querySelectorAll("a[href]")) a.href = new URL(a.getAttribute("href"), url).href;
      questions.push({ id: new URL(url).pathname + "#" + question, question, answer, url });
    }
  }
  return questions;
}

export function onPage(doc) {
  const article = doc.querySelector("article");
  if (!article || !article.querySelector("h2[data-search-exclude]")) return; // the revision page only
  for (const old of article.querySelectorAll("[" + MARK + "]")) old.remove(); // idempotent
  const box = el(doc, "section", "notes-quiz");
  box.setAttribute(MARK, "");
  box.setAttribute("aria-labelledby", "notes-quiz-title");
  const title = el(doc, "h2", null, "Quiz: khud se poochho");
  title.id = "notes-quiz-title";
  const score = el(doc, "p", "notes-quiz__score");
  score.setAttribute("role", "status");
  const stage = el(doc, "div", "notes-quiz__stage");
  const start = el(doc, "button", "notes-quiz__button", "Quiz shuru karo");
  start.type = "button";
  box.append(title, score, start, stage);
  const h1 = article.querySelector("h1");
  (h1 ? h1.nextElementSibling || h1 : article.firstElementChild).after(box);

  let questions = null;
  const showScore = () => {
    const marks = Object.values(load().marks);
    const right = marks.filter((m) => m === "sahi").length;
    score.textContent = marks.length
      ? `Score: ${right} sahi, ${marks.length - right} galat` + (questions ? ` (${questions.length} me se ${marks.length})` : "")
      : "";
    start.textContent = marks.length ? "Quiz jaari rakho" : "Quiz shuru karo";
  };

  const ask = () => {
    stage.replaceChildren();
    const state = load();
    const next = questions.find((q) => !(q.id in state.marks));
    if (!next) {
      const done = el(doc, "p", "notes-quiz__done", "Sab sawaal ho gaye.");
      done.tabIndex = -1;
      const again = el(doc, "button", "notes-quiz__button", "Quiz dobara karo");
      again.type = "button";
      again.addEventListener("click", () => {
        save({ marks: {} });
        showScore();
        ask();
      });
      stage.append(done, again);
      done.focus();
      return;
    }
    const heading = el(doc, "h3", "notes-quiz__question", next.question);
    heading.tabIndex = -1;
    const reveal = el(doc, "button", "notes-quiz__button", "Jawab dikhao");
    reveal.type = "button";
    stage.append(heading, reveal);
    reveal.addEventListener("click", () => {
      const answer = el(doc, "div", "notes-quiz__answer");
      answer.append(...next.answer.map((node) => doc.importNode(node, true)));
      const right = el(doc, "button", "notes-quiz__button", "Sahi tha");
      const wrong = el(doc, "button", "notes-quiz__button", "Galat tha");
      right.type = wrong.type = "button";
      const mark = (value) => {
        const current = load();
        current.marks[next.id] = value;
        save(current);
        showScore();
        ask();
      };
      right.addEventListener("click", () => mark("sahi"));
      wrong.addEventListener("click", () => mark("galat"));
      const buttons = el(doc, "p", "notes-quiz__buttons");
      buttons.append(right, wrong);
      reveal.replaceWith(answer, buttons);
      right.focus();
    });
    heading.focus();
  };

  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      if (!questions) questions = await collect(noteUrls(article));
    } finally {
      start.disabled = false;
    }
    start.hidden = true;
    showScore();
    ask();
  });
  showScore();
}
