// @ts-check
// The read-only view of shared answers: what the therapist sees after "Reveal answers", and the preview the
// person sees before making a link. One renderer for both, so the preview is exactly what will be shown.
import { $, download, element } from "./dom.mjs";
import { localDateStamp } from "./format.mjs";

/**
 * A compact table of the session log. It scrolls inside its own box rather than widening the page, and
 * `action(index)` may add a control to each row (the worksheet's "Edit"). Each cell carries its column's
 * kind (`data-kind`: date, line, text or scale), which the styles size it by, whatever the columns are.
 * @param {{label: string, kind: string}[]} columns the columns' headings and kinds
 * @param {string[][]} rows each row's cells as text
 * @param {{caption?: string, action?: (index: number) => Node}} [options]
 * @returns {HTMLTableElement}
 */
export function sessionTable(columns, rows, { caption, action } = {}) {
  /** @param {"th" | "td"} tag @param {number} index @param {object} properties */
  const cell = (tag, index, properties) => {
    const made = element(tag, properties);
    made.dataset.kind = columns[index].kind;
    return made;
  };
  const head = element("tr", {}, ...columns.map((column, index) => cell("th", index, { scope: "col", textContent: column.label })));
  // The action comes first, so it is in view on a phone without scrolling the table sideways.
  if (action) head.prepend(element("th", { scope: "col", className: "ws-log-action", textContent: "Change" }));
  const body = rows.map((cells, index) => {
    const row = element("tr", {}, ...cells.map((text, column) => cell("td", column, { textContent: text })));
    if (action) row.prepend(element("td", { className: "ws-log-action" }, action(index)));
    return row;
  });
  const table = element("table", { className: "ws-log-table-grid" },
    ...(caption ? [element("caption", { className: "visually-hidden", textContent: caption })] : []),
    element("thead", {}, head), element("tbody", {}, ...body));
  return table;
}

// What each kind of section shows (py_client/section_kinds.py gives each kind's view): one entry per kind.
const SECTION_VIEWS = {
  checklist: (section) => [
    element("p", { textContent: section.intro }),
    element("ul", { className: "ws-plain-list" }, ...section.items.map((item) => element("li", {},
      element("span", { className: "ws-mark", textContent: item.checked ? "☑ " : "☐ " }),
      element("span", { className: "visually-hidden", textContent: item.checked ? "Checked: " : "Not checked: " }),
      element("strong", { textContent: `${item.label}. ` }), item.explanation))),
  ],
  log: (section, { chart }) => {
    const shown = [element("p", { textContent: section.description })];
    if (chart) {
      const svg = new DOMParser().parseFromString(chart, "image/svg+xml").documentElement;
      shown.push(element("figure", { className: "ws-chart" }, document.importNode(svg, true)));
    }
    if (section.rows.length) {
      const box = element("div", { className: "ws-log-table", tabIndex: 0 }, sessionTable(section.columns, section.rows, { caption: "Sessions" }));
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Session log as a table");
      shown.push(box);
    }
    return shown;
  },
  prompts: (section, { subheading }) => section.prompts.flatMap((prompt) => [
    element(subheading, { textContent: prompt.label }),
    prompt.lines // a list prompt's answer is its lines (py_client/prompt_kinds.py)
      ? element("ol", {}, ...prompt.lines.map((line) => element("li", { textContent: line || "—" })))
      : element("p", { className: prompt.answer ? "ws-answer" : "ws-unanswered", textContent: prompt.answer || "Not answered." }),
  ]),
};

/** The shared parts of the worksheet, from py_client's readonly view (bridge `open_snapshot`). */
export function renderSnapshot(view, { headingLevel = 2 } = {}) {
  const heading = `h${headingLevel}`;
  const subheading = `h${headingLevel + 1}`;
  // Which worksheet the answers are to: a therapist may ask for several.
  const parts = [element("p", { className: "ws-open-worksheet", textContent: `Answers to the worksheet “${view.worksheet.title}”.` })];
  if (view.note) {
    parts.push(element("section", { className: "ws-open-note" },
      element(heading, { textContent: "Their note to you", tabIndex: -1 }),
      element("p", { className: "ws-answer", textContent: view.note })));
  }
  for (const section of view.sections) {
    const shows = SECTION_VIEWS[section.kind];
    if (!shows) throw new Error(`no view for a section of kind ${section.kind}`);
    parts.push(element("section", { className: `ws-open-section ws-open-${section.kind}` },
      element(heading, { textContent: section.title, tabIndex: -1 }), ...shows(section, { chart: view.chart, subheading })));
  }
  return parts;
}

/**
 * Fill an answers view (site_tools/templates/core/answers-view.html, ids starting with `prefix`) with
 * opened answers: the warning, the answers, and print and downloads of exactly these answers.
 * @param {ParentNode} root
 * @param {string} prefix
 * @param {{created_at: string, json: string, markdown: string}} view py_client's readonly view (`open_snapshot`)
 * @param {string} warning
 */
export function showAnswers(root, prefix, view, warning) {
  const stamp = localDateStamp(new Date(view.created_at));
  $(`#${prefix}-warning`, root).textContent = warning;
  $(`#${prefix}-print`, root).onclick = () => window.print();
  $(`#${prefix}-json`, root).onclick = () => download(view.json, `shared-worksheet-${stamp}.json`, "application/json");
  $(`#${prefix}-markdown`, root).onclick = () => download(view.markdown, `shared-worksheet-${stamp}.md`, "text/markdown");
  $(`#${prefix}-answers`, root).replaceChildren(...renderSnapshot(view));
  $(`#${prefix}-result`, root).hidden = false;
}
