/* Candor web component: <candor-team-trend token="cwt_..." lang="en|nl" theme="auto|light|dark"
   waves="8" size="s|m|l">. Renders a team's trend in a shadow DOM from /embed/v1/trend.json on the
   server this script came from. No libraries, no cookies, no referrer; every value is set with
   textContent or setAttribute, never parsed as HTML. */
(() => {
  "use strict";
  const script = document.currentScript;
  const ORIGIN = script && script.src ? new URL(script.src).origin : location.origin;
  const NS = "http://www.w3.org/2000/svg";
  const SIZES = { s: [320, 150], m: [480, 200], l: [640, 260] };
  const UNAVAILABLE = {
    en: "This widget is unavailable.",
    nl: "Deze widget is niet beschikbaar.",
  };
  const ARROWS = { up: "\u25B2", down: "\u25BC", "no detectable change": "\u2248" };
  const LIGHT = "--bg:#fff;--fg:#1f2328;--muted:#59636e;--grid:#d1d9e0;--ring:#0969da;" +
    "--c0:#0072b2;--c1:#d55e00;--c2:#009e73;--c3:#b6518f;--c4:#b07d00;--c5:#3a8fc4";
  const DARK = "--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#30363d;--ring:#4493f8;" +
    "--c0:#56b4e9;--c1:#ff8a4c;--c2:#3fcf9e;--c3:#e89ad0;--c4:#f0c04a;--c5:#9ecbf0";
  const CSS = `
    :host{display:block;max-width:640px}
    .w{${LIGHT};background:var(--bg);color:var(--fg);border-radius:6px;padding:.75em 1em;
       font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
    .w.dark{${DARK}}
    @media (prefers-color-scheme:dark){.w.auto{${DARK}}}
    .w.s{font-size:12px}.w.l{font-size:16px}
    h2{font-size:1.05em;margin:0 0 .4em;font-weight:600} h2 span,.muted{color:var(--muted);font-weight:400}
    svg.chart{display:block;width:100%;height:auto}
    svg.chart:focus-visible{outline:3px solid var(--ring);outline-offset:2px}
    .grid{stroke:var(--grid);stroke-width:1} .axis{fill:var(--muted);font-size:11px}
    .line{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}
    text.end{font-size:12px;font-weight:700;stroke:none}
    .d0{stroke:var(--c0);fill:var(--c0)}.d1{stroke:var(--c1);fill:var(--c1)}
    .d2{stroke:var(--c2);fill:var(--c2)}.d3{stroke:var(--c3);fill:var(--c3)}
    .d4{stroke:var(--c4);fill:var(--c4)}.d5{stroke:var(--c5);fill:var(--c5)}
    table{border-collapse:collapse;width:100%;margin:.5em 0 .25em}
    th,td{text-align:left;padding:.2em .4em .2em 0;font-weight:400}
    thead th{color:var(--muted);font-size:.85em;border-bottom:1px solid var(--grid)}
    td.num{font-weight:700;font-variant-numeric:tabular-nums} td.note{color:var(--muted)}
    .sw{display:inline-block;vertical-align:middle;margin-right:.35em}
    .up{color:var(--c2)}.down{color:var(--c1)}
    .empty{margin:1.5em 0} .foot{color:var(--muted);font-size:.8em;margin:.25em 0 0}
    .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    return node;
  }
  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text != null) node.textContent = text;
    return node;
  }

  function altText(view) {
    const parts = view.dimensions.map((d) => {
      if (d.latest == null) return `${d.name}: ${d.note || view.texts.no_score}`;
      const sign = d.delta > 0 ? "+" : "";
      const change = d.change && d.delta != null ? ` (${d.change_text}, ${sign}${d.delta})` : "";
      return `${d.name}: ${d.latest}${change}`;
    });
    if (view.participation) parts.push(`${view.texts.participation}: ${view.participation}`);
    return parts.join("; ") + ".";
  }

  function chart(view, size, uid) {
    const [W, H] = SIZES[size] || SIZES.m;
    const left = 30, right = 44, top = 10, bottom = 24;
    const pw = W - left - right, ph = H - top - bottom;
    const n = Math.max(view.waves.length, 1);
    const x = (i) => +(left + (n > 1 ? (i * pw) / (n - 1) : pw / 2)).toFixed(1);
    const y = (s) => +(top + ph * (1 - s / 100)).toFixed(1);
    const root = svg("svg", {
      viewBox: `0 0 ${W} ${H}`, role: "img", tabindex: "0", class: "chart",
      "aria-labelledby": `${uid}-t ${uid}-d`,
    });
    root.append(svg("title", { id: `${uid}-t` }, `${view.team}: ${view.texts.title}`));
    root.append(svg("desc", { id: `${uid}-d` }, altText(view)));
    for (const level of [0, 25, 50, 75, 100]) {
      root.append(svg("line", { class: "grid", x1: left, x2: W - right, y1: y(level), y2: y(level) }));
      if (level % 50 === 0) {
        root.append(svg("text", { class: "axis", x: left - 6, y: y(level) + 4, "text-anchor": "end" }, level));
      }
    }
    if (view.waves.length) {
      root.append(svg("text", { class: "axis", x: x(0), y: H - 6, "text-anchor": n > 1 ? "start" : "middle" }, view.waves[0]));
      if (n > 1) root.append(svg("text", { class: "axis", x: x(n - 1), y: H - 6, "text-anchor": "end" }, view.waves[n - 1]));
    }
    const ends = [];
    view.dimensions.forEach((d, index) => {
      const cls = `d${index % 6}`;
      const g = svg("g", { class: cls });
      let seg = [];
      const flush = () => {
        if (seg.length > 1) g.append(svg("polyline", { class: "line", points: seg.join(" ") }));
        seg = [];
      };
      d.points.forEach((p, i) => {
        if (p.score == null) { flush(); return; }
        seg.push(`${x(i)},${y(p.score)}`);
      });
      flush();
      d.points.forEach((p, i) => {
        if (p.score == null) return;
        const dot = svg("circle", { class: "dot", cx: x(i), cy: y(p.score), r: 3 });
        dot.append(svg("title", {}, `${d.name}, ${p.wave}: ${p.score}`));
        g.append(dot);
      });
      root.append(g);
      if (d.latest != null) ends.push([y(d.latest) + 4, cls, d.latest]);
    });
    ends.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ends.length; i++) ends[i][0] = Math.max(ends[i][0], ends[i - 1][0] + 12);
    const over = ends.length ? ends[ends.length - 1][0] - (top + ph + 4) : 0;
    for (const [ey, cls, score] of ends) {
      root.append(svg("text", { class: `end ${cls}`, x: W - right + 6, y: Math.max(top + 4, ey - Math.max(over, 0)) }, score));
    }
    return root;
  }

  function table(view) {
    const t = el("table");
    t.append(el("caption", { class: "sr" }, altText(view)));
    const head = el("tr");
    for (const key of ["dimension", "latest", "change"]) head.append(el("th", { scope: "col" }, view.texts[key]));
    const thead = el("thead");
    thead.append(head);
    t.append(thead);
    const body = el("tbody");
    view.dimensions.forEach((d, index) => {
      const row = el("tr", { "data-dimension": d.key });
      const name = el("th", { scope: "row" });
      const sw = svg("svg", { class: `sw d${index % 6}`, width: 10, height: 10, "aria-hidden": "true" });
      sw.append(svg("rect", { width: 10, height: 10, rx: 2 }));
      name.append(sw, document.createTextNode(d.name));
      row.append(name);
      if (d.latest == null) {
        row.append(el("td", { class: "note", colspan: "2" }, d.note || view.texts.no_score));
      } else {
        row.append(el("td", { class: "num", "data-score": String(d.latest) }, String(d.latest)));
        const cell = el("td", { class: d.change === "up" ? "up" : d.change === "down" ? "down" : "" });
        if (d.change && d.delta != null) {
          const arrow = ARROWS[d.change] || "";
          const shown = d.change === "no detectable change" ? arrow : `${arrow} ${Math.abs(d.delta)}`;
          const sign = d.delta > 0 ? "+" : "";
          cell.append(el("span", { "aria-hidden": "true" }, shown), " ",
            el("span", { class: "sr" }, `${d.change_text} (${sign}${d.delta})`));
        }
        row.append(cell);
      }
      body.append(row);
    });
    t.append(body);
    return t;
  }

  let counter = 0;

  class CandorTeamTrend extends HTMLElement {
    static get observedAttributes() { return ["token", "lang", "theme", "waves", "size", "team"]; }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._uid = `candor${++counter}`;
      this._seq = 0;
    }

    connectedCallback() { this._schedule(); }

    attributeChangedCallback() { if (this.isConnected) this._schedule(); }

    // An upgrade reports every attribute, then the connection: load once for all of them.
    _schedule() {
      if (this._pending) return;
      this._pending = true;
      queueMicrotask(() => { this._pending = false; this._load(); });
    }

    _frame(theme, size) {
      const wrap = el("div", { class: `w ${theme} ${size}`, part: "card" });
      this._root.replaceChildren(el("style", {}, CSS), wrap);
      return wrap;
    }

    async _load() {
      const seq = ++this._seq;
      const lang = this.getAttribute("lang") === "nl" ? "nl" : "en";
      const themeAttr = this.getAttribute("theme");
      const theme = themeAttr === "light" || themeAttr === "dark" ? themeAttr : "auto";
      const size = SIZES[this.getAttribute("size")] ? this.getAttribute("size") : "m";
      const url = new URL("/embed/v1/trend.json", ORIGIN);
      url.searchParams.set("token", this.getAttribute("token") || "");
      url.searchParams.set("lang", lang);
      for (const name of ["waves", "team"]) {
        const v = this.getAttribute(name);
        if (v) url.searchParams.set(name, v);
      }
      let view = null;
      try {
        const r = await fetch(url, {
          mode: "cors", credentials: "omit", referrerPolicy: "no-referrer", cache: "no-cache",
        });
        if (r.ok) view = await r.json();
      } catch (_) {
        view = null;
      }
      if (seq !== this._seq) return; // a newer load (attribute change) has started
      const wrap = this._frame(theme, size);
      this.setAttribute("data-state", view ? view.status : "unavailable");
      if (!view) {
        wrap.append(el("p", { class: "empty", role: "status" }, UNAVAILABLE[lang]));
        return;
      }
      const h = el("h2", {}, view.team + " ");
      h.append(el("span", {}, `\u00B7 ${view.texts.title}`));
      wrap.append(h);
      if (view.status !== "ok") {
        wrap.append(el("p", { class: "empty", role: "status" }, view.message || ""));
      } else {
        wrap.append(chart(view, size, this._uid), table(view));
        if (view.participation) {
          wrap.append(el("p", { class: "foot" }, `${view.texts.participation}: ${view.participation}`));
        }
        if (view.group_note) wrap.append(el("p", { class: "foot", "data-group": "" }, view.group_note));
        if (view.focus) {
          const f = el("p", { class: "foot", "data-focus": "" });
          f.append(el("strong", {}, view.texts.focus),
            ` (${view.texts.focus_since} ${view.focus.since}): ${view.focus.dimension}. ${view.focus.trying}`);
          wrap.append(f);
        }
      }
      wrap.append(el("p", { class: "foot" }, view.texts.scale));
    }
  }

  if (!customElements.get("candor-team-trend")) customElements.define("candor-team-trend", CandorTeamTrend);
})();
