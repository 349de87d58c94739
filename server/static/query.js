// The query page: named questions with their parameters, results as a table whose IRIs link
// to the browser's pages (with their labels), CSV and JSON downloads, errors as text.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const catalogue = JSON.parse($("catalogue").textContent);
  const settings = JSON.parse($("settings").textContent);
  const byName = Object.fromEntries(catalogue.map((q) => [q.name, q]));
  const form = $("query-form"), editor = $("query"), select = $("named"), params = $("params");

  function pageFor(iri) {
    for (const space of ["id/", "graph/"]) {
      if (iri.startsWith(settings.base + space)) {
        return "/" + space + iri.slice(settings.base.length + space.length).split("/").map(encodeURIComponent).join("/");
      }
    }
    return "/resource?uri=" + encodeURIComponent(iri);
  }

  function showParameters(query) {
    params.replaceChildren();
    for (const p of query.parameters) {
      const label = document.createElement("label");
      label.textContent = `${p.name}${p.required ? " (required)" : ""}: ${p.description} `;
      const input = document.createElement("input");
      input.name = p.name;
      input.dataset.param = "yes";
      input.required = p.required;
      input.value = p.example || "";
      label.append(input);
      params.append(label);
    }
  }

  function choose() {
    const query = byName[select.value];
    $("named-description").textContent = query ? query.description : "";
    if (query) { editor.value = query.sparql; showParameters(query); } else { params.replaceChildren(); }
    updateDownloads();
  }

  // A named question whose text is unchanged runs with its parameters as bindings; anything
  // else goes to the SPARQL endpoint as written.
  function request(format) {
    const query = byName[select.value];
    if (query && editor.value === query.sparql) {
      const values = new URLSearchParams();
      for (const input of params.querySelectorAll("input[data-param]")) {
        if (input.value.trim()) { values.set(input.name, input.value.trim()); }
      }
      values.set("format", format);
      return `/queries/${encodeURIComponent(query.name)}?${values}`;
    }
    return `${form.action}?${new URLSearchParams({ query: editor.value, format })}`;
  }

  function updateDownloads() {
    $("download-csv").href = request("csv");
    $("download-json").href = request("json");
  }

  async function labelsOf(iris) {
    if (!iris.length) { return {}; }
    const response = await fetch("/labels", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ iris }),
    });
    return response.ok ? (await response.json()).labels : {};
  }

  function cell(term, labels) {
    const td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.href = pageFor(term.value);
      a.textContent = labels[term.value] || term.value;
      td.append(a);
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) { td.lang = term["xml:lang"]; }
    }
    return td;
  }

  async function render(data) {
    const target = $("results");
    target.replaceChildren();
    if ("boolean" in data) {
      target.textContent = data.boolean ? "Yes." : "No.";
      return;
    }
    const vars = data.head.vars, rows = data.results.bindings;
    const iris = [...new Set(rows.flatMap((r) => Object.values(r).filter((t) => t.type === "uri").map((t) => t.value)))];
    const labels = await labelsOf(iris);
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const v of vars) { const th = document.createElement("th"); th.scope = "col"; th.textContent = v; head.append(th); }
    const body = table.createTBody();
    for (const row of rows) { const tr = body.insertRow(); for (const v of vars) { tr.append(cell(row[v], labels)); } }
    const caption = table.createCaption();
    caption.textContent = `${rows.length} row${rows.length === 1 ? "" : "s"}`;
    target.append(table);
  }

  async function run(event) {
    event.preventDefault();
    $("error").hidden = true;
    $("status").textContent = "Running…";
    updateDownloads();
    try {
      // Tables for SELECT and ASK; CONSTRUCT and DESCRIBE answer in Turtle, shown as text.
      const url = request("json").replace(/([?&])format=json(&|$)/, "$1").replace(/[?&]$/, "");
      const response = await fetch(url, { headers: { Accept: "application/sparql-results+json, text/turtle;q=0.9" } });
      const text = await response.text();
      if (!response.ok) { throw new Error(text); }
      if ((response.headers.get("Content-Type") || "").startsWith("text/turtle")) {
        const pre = document.createElement("pre");
        pre.textContent = text;
        $("results").replaceChildren(pre);
      } else {
        await render(JSON.parse(text));
      }
      const cut = response.headers.get("Eurasia-KG-Truncated");
      $("status").textContent = cut ? `Done; the answer was cut at ${cut.replace("limit=", "")} rows.` : "Done.";
    } catch (error) {
      $("error").textContent = error.message;
      $("error").hidden = false;
      $("status").textContent = "";
    }
  }

  select.addEventListener("change", choose);
  editor.addEventListener("input", updateDownloads);
  params.addEventListener("input", updateDownloads);
  form.addEventListener("submit", run);
  updateDownloads();
})();
