/*! scr-search widget 0.1.0 | <scr-search></scr-search> | no dependencies */
(() => {
  "use strict";
  const VERSION = "0.1.0";
  const TAG = "scr-search";
  if (!window.customElements || customElements.get(TAG)) return;

  // The API lives beside this script unless the element's `api` attribute says otherwise.
  const script = document.currentScript;
  const HOME = script && script.src ? new URL(".", script.src).href : document.baseURI;

  const DARK = "--_bg:var(--scr-bg,#16191d);--_fg:var(--scr-fg,#e6e9ed);" +
    "--_muted:var(--scr-muted,#a3acb7);--_border:var(--scr-border,#3a414a);" +
    "--_accent:var(--scr-accent,#8cb8ff);--_hover:var(--scr-hover,#232a33);" +
    "--_mark:var(--scr-mark,#665200);--_markfg:var(--scr-mark-fg,#fff);" +
    "--_error:var(--scr-error,#ffb4ab);";
  // The host page's inherited styles stop at .box: `all` resets all but custom properties.
  const CSS = `:host{display:block;position:relative;
--_bg:var(--scr-bg,#fff);--_fg:var(--scr-fg,#1f2328);--_muted:var(--scr-muted,#57606a);
--_border:var(--scr-border,#c9d1d9);--_accent:var(--scr-accent,#0a58b5);--_hover:var(--scr-hover,#eef3fa);
--_mark:var(--scr-mark,#ffe27a);--_markfg:var(--scr-mark-fg,#1f2328);--_error:var(--scr-error,#b3261e);
--_radius:var(--scr-radius,8px)}
@media (prefers-color-scheme:dark){:host(:not([theme=light])){${DARK}}}
:host([theme=dark]){${DARK}}
*{box-sizing:border-box}[hidden]{display:none!important}
.box{all:initial;display:block;position:relative;color:var(--_fg);
font:var(--scr-font-size,16px)/1.45 var(--scr-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif)}
input{display:block;width:100%;margin:0;padding:.6em .85em;font:inherit;color:var(--_fg);
background:var(--_bg);border:1px solid var(--_border);border-radius:var(--_radius)}
input::placeholder{color:var(--_muted);opacity:1}
input:focus{outline:none;border-color:var(--_accent)}
input:focus-visible{outline:3px solid var(--_accent);outline-offset:2px}
.panel{position:absolute;z-index:var(--scr-z-index,1000);top:calc(100% + 6px);left:0;right:0;
max-height:var(--scr-max-height,70vh);overflow:auto;background:var(--_bg);color:var(--_fg);
border:1px solid var(--_border);border-radius:var(--_radius);box-shadow:0 10px 28px rgb(0 0 0/.2)}
.busy .panel::before{content:"";position:sticky;top:0;display:block;height:3px;
background:linear-gradient(90deg,transparent,var(--_accent),transparent) 0 0/40% 100% no-repeat;
animation:slide 1s linear infinite}
@keyframes slide{from{background-position:-40% 0}to{background-position:140% 0}}
@media (prefers-reduced-motion:reduce){.busy .panel::before{animation:none;background:var(--_accent)}}
.state{padding:.65em .9em;color:var(--_muted)}.state:empty{display:none}
.state.error{color:var(--_error);font-weight:600}
.opt{display:block;padding:.7em .9em;border-top:1px solid var(--_border);cursor:pointer}
.opt:first-child{border-top:0}.opt:hover{background:var(--_hover)}
.opt[aria-selected=true]{background:var(--_hover);outline:2px solid var(--_accent);outline-offset:-2px}
.answer{border-left:4px solid var(--_accent)}
.label{display:block;font-size:.72em;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:var(--_accent)}
.head{display:flex;gap:.6em;align-items:baseline;justify-content:space-between}
.name{font-weight:600;color:var(--_fg);text-decoration:none}a.name{color:var(--_accent);text-decoration:underline}
.kind{flex:none;font-size:.72em;padding:.1em .55em;border:1px solid var(--_border);border-radius:999px;color:var(--_muted)}
.doc{font-size:.8em;color:var(--_muted)}
.text{margin:.3em 0 0;font-size:.93em}.said{margin:.2em 0 0;font-weight:600}
.opt:not(.answer) .text{display:-webkit-box;-webkit-line-clamp:4;-webkit-box-orient:vertical;overflow:hidden}
.text.list{white-space:pre-line}.opt:not(.answer) .text.list{-webkit-line-clamp:10}
mark{background:var(--_mark);color:var(--_markfg);border-radius:2px;padding:0 .1em}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (forced-colors:active){.opt[aria-selected=true]{outline-color:Highlight}}`;

  let sheet = null;
  function styleInto(root) {
    // A constructed sheet is shared by every instance and needs no inline <style>.
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } catch (_) {
      root.append(make("style", "", CSS));
    }
  }

  function make(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }

  const str = (v) => (typeof v === "string" ? v : "");

  // Only plain web links from the server; never javascript: or data: URLs.
  function safeLink(raw, base) {
    if (!str(raw)) return null;
    try {
      const url = new URL(raw, base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  // The server counts offsets in code points; JS strings count UTF-16 units. `spans` is one
  // {start, end} or a list of them (the items of a list that matched), in order.
  function marked(node, text, spans) {
    const cps = Array.from(text);
    const all = (Array.isArray(spans) ? spans : [spans]).filter((h) => h && typeof h === "object");
    let at = 0;
    const parts = [];
    for (const h of all) {
      const s = h.start, e = h.end;
      if (!Number.isInteger(s) || !Number.isInteger(e) || s < at || e <= s || e > cps.length) {
        node.append(text);
        return false;
      }
      parts.push(cps.slice(at, s).join(""), make("mark", "", cps.slice(s, e).join("")));
      at = e;
    }
    if (!parts.length) {
      node.append(text);
      return false;
    }
    node.append(...parts, cps.slice(at).join(""));
    return true;
  }

  class ApiError extends Error {}

  class ScrSearch extends HTMLElement {
    static get observedAttributes() { return ["api", "key", "placeholder", "label", "limit", "kind", "mode"]; }

    constructor() {
      super();
      this._seq = 0;      // bumped per request; an answer for an older number is dropped
      this._timer = 0;
      this._ctrl = null;
      this._items = [];
      this._active = -1;
      this._q = "";
    }

    connectedCallback() {
      if (!this._root) this._build();
      else if (this._input.value.trim()) this._schedule(0, true);  // moved: search again
    }

    disconnectedCallback() {
      this._reset();  // no timer left to fire, no request left to land
    }

    attributeChangedCallback(name) {
      if (!this._root) return;
      if (name === "placeholder" || name === "label") this._labels();
      else if (this._input.value.trim()) this._schedule(0, true);
    }

    _build() {
      const root = this._root = this.attachShadow({ mode: "open" });
      styleInto(root);
      const box = this._box = make("div", "box");
      box.setAttribute("role", "search");
      const input = this._input = make("input");
      input.type = "search";
      input.autocomplete = "off";
      input.spellcheck = false;
      input.enterKeyHint = "search";
      input.setAttribute("part", "input");
      for (const [k, v] of [["role", "combobox"], ["aria-autocomplete", "list"],
        ["aria-expanded", "false"], ["aria-controls", "list"]]) input.setAttribute(k, v);
      const panel = this._panel = make("div", "panel");
      panel.hidden = true;
      panel.setAttribute("part", "panel");
      this._state = make("div", "state");
      const list = this._list = make("div", "list");
      list.id = "list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Search results");
      this._status = make("div", "sr");
      this._status.setAttribute("role", "status");
      this._status.setAttribute("aria-live", "polite");
      panel.append(this._state, list);
      box.append(input, panel, this._status);
      root.append(box);

      input.addEventListener("input", () => this._schedule(250));
      input.addEventListener("keydown", (ev) => this._key(ev));
      input.addEventListener("focus", () => this._show(true));
      input.addEventListener("blur", () => this._show(false));
      // Keep focus in the input while the pointer picks a result.
      panel.addEventListener("mousedown", (ev) => ev.preventDefault());
      list.addEventListener("click", (ev) => {
        const opt = ev.target.closest("[role=option]");
        if (opt && !ev.target.closest("a")) this._choose(Number(opt.dataset.i));
      });
      this._labels();
    }

    _labels() {
      const label = this.getAttribute("label") || "Search the documents";
      this._box.setAttribute("aria-label", label);
      this._input.setAttribute("aria-label", label);
      this._input.placeholder = this.getAttribute("placeholder") || "Ask a question or type keywords";
    }

    _base() {
      const api = this.getAttribute("api");
      const base = api ? new URL(api, document.baseURI).href : HOME;
      return base.endsWith("/") ? base : base + "/";
    }

    _schedule(delay, force) {
      clearTimeout(this._timer);
      const q = this._input.value.trim();
      if (!q) return this._reset();
      if (q === this._q && !force) return;
      this._timer = setTimeout(() => this._run(q), delay);
    }

    async _run(q) {
      if (this._ctrl) this._ctrl.abort();
      const ctrl = this._ctrl = new AbortController();
      const seq = ++this._seq;
      this._q = q;
      let base;
      try { base = this._base(); } catch (_) { return this._fail("The api attribute is not a valid URL."); }
      this._busy(true);
      const limit = Math.min(50, Math.max(1, parseInt(this.getAttribute("limit"), 10) || 5));
      const params = new URLSearchParams({ q, k: String(limit) });
      const kind = (this.getAttribute("kind") || "").trim();
      if (kind) params.set("kind", kind);
      // One request: results and answer from one ranking.
      const answering = this.getAttribute("mode") !== "search";
      if (answering) params.set("answer", "true");
      try {
        const found = await this._get(new URL("search?" + params, base), ctrl.signal);
        const answer = answering && typeof found.answer === "object" ? found.answer : null;
        if (seq === this._seq) this._render(q, found, answer);
      } catch (err) {
        if (seq !== this._seq || (err && err.name === "AbortError")) return;
        const why = err instanceof ApiError ? err.message : await this._unreachable(base);
        if (seq === this._seq) this._fail(why);
      } finally {
        if (seq === this._seq) this._busy(false);
      }
    }

    async _get(url, signal) {
      const headers = { accept: "application/json" };
      const key = this.getAttribute("key");
      if (key) headers["x-api-key"] = key;
      // same-origin: behind a sign-on proxy the session cookie must come along; another
      // origin still gets no cookie (the key, if any, is the credential there).
      const res = await fetch(url, { signal, headers, credentials: "same-origin" });
      let body = null;
      try { body = await res.json(); } catch (_) { /* not JSON: reported below */ }
      if (res.ok && body && typeof body === "object") return body;
      const detail = body && str(body.detail);
      const status = res.status;
      if (status === 401 || status === 403) {
        throw new ApiError("Search is not available here: the search service needs a valid API key. (Administrators: set the widget's key attribute.)");
      }
      if (status === 429) throw new ApiError("Too many searches just now. Try again in a few seconds.");
      if (status === 503) throw new ApiError("The search service is starting up. Try again in a moment.");
      if (status === 422 && detail) throw new ApiError("Search could not run: " + detail);
      throw new ApiError(`The search service failed (HTTP ${status})${detail ? ": " + detail : "."}`);
    }

    // fetch() hides why a request failed; an opaque probe tells "refused" from "down".
    async _unreachable(base) {
      if (new URL(base).origin !== location.origin) {
        try {
          await fetch(new URL("health", base), { mode: "no-cors", credentials: "omit", cache: "no-store" });
          return `Search is not available on this site: the search service does not accept requests from ${location.origin}. (Administrators: add it to SEARCH_CORS_ORIGINS.)`;
        } catch (_) { /* down as well */ }
      }
      return "The search service cannot be reached. Check your connection or try again later.";
    }

    _busy(on) {
      this._box.classList.toggle("busy", on);
      this._list.setAttribute("aria-busy", String(on));
      if (on && !this._items.length) this._say("Searching…", "");
      this._show(true);
    }

    _clear() {
      this._items = [];
      this._active = -1;
      this._input.removeAttribute("aria-activedescendant");
      this._list.replaceChildren();
    }

    _reset() {
      clearTimeout(this._timer);
      if (this._ctrl) this._ctrl.abort();
      this._ctrl = null;
      this._seq++;
      this._q = "";
      this._box.classList.remove("busy");
      this._clear();
      this._say("", "");
      this._show(false);
    }

    _say(state, status, error) {
      this._state.textContent = state;
      this._state.classList.toggle("error", Boolean(error));
      this._status.textContent = status;
    }

    _fail(message) {
      this._box.classList.remove("busy");
      this._clear();
      this._say(message, message, true);
      this._show(true);
    }

    _render(q, found, answer) {
      this._clear();
      const results = Array.isArray(found.results) ? found.results.filter((r) => r && typeof r === "object") : [];
      const cites = answer && Array.isArray(answer.citations) ? answer.citations.filter((c) => c && typeof c === "object") : [];
      const marks = new Map(cites.map((c) => [c.id, c.highlight]));
      const covered = answer ? answer.answerable !== false : found.answerable !== false;
      if (!covered) return this._topics(q, cites.concat(results));
      // Misspelt words put right: say what was searched.
      const fixed = str((answer && answer.corrected) || found.corrected);
      const said = fixed ? `Showing results for “${fixed}”.` : "";
      let rest = results;
      if (answer && (cites.length || str(answer.answer))) {
        this._option({ kind: "answer", r: cites[0] || {}, said: str(answer.answer), hl: cites[0] && cites[0].highlight });
        if (cites[0]) rest = results.filter((r) => r.id !== cites[0].id);
      }
      for (const r of rest) this._option({ kind: "result", r, hl: marks.get(r.id) || r.matched });
      const n = rest.length;
      const passages = `${n} ${n === 1 ? "passage" : "passages"}`;
      if (this._items.length && this._items[0].kind === "answer") this._say(said, `${said} Answer found, with ${n} more ${n === 1 ? "passage" : "passages"}.`.trim());
      else if (n) this._say(said, `${said} ${passages} found.`.trim());
      else this._say(`No passages match “${q}”.`, "No results.");
      this._show(true);
    }

    _topics(q, hits) {
      const seen = new Set();
      for (const h of hits) {
        const topic = str(h.section) || str(h.title);
        if (!topic || seen.has(topic) || seen.size >= 5) continue;
        seen.add(topic);
        this._option({ kind: "topic", topic, title: str(h.title) });
      }
      const n = seen.size;
      this._say(`The documents do not seem to cover “${q}”.${n ? " Nearest topics:" : ""}`,
        `Not covered by the documents. ${n} nearest ${n === 1 ? "topic" : "topics"}.`);
      this._show(true);
    }

    _option(item) {
      const i = this._items.length;
      const opt = make("div", "opt " + item.kind);
      opt.id = "opt-" + i;
      opt.dataset.i = String(i);
      opt.setAttribute("role", "option");
      opt.setAttribute("aria-selected", "false");
      opt.setAttribute("part", "option");
      if (item.kind === "topic") {
        opt.append(make("span", "name sec", item.topic));
        if (item.title && item.title !== item.topic) opt.append(make("div", "doc title", item.title));
      } else {
        const r = item.r;
        // `link` points into the document (text fragment, PDF page); a site path is the
        // page's own site's. A reading list's entry opens what it names (in a list: the one found).
        const hl = Array.isArray(item.hl) ? item.hl : [];
        const to = (Array.isArray(r.links) ? r.links : []).find((l) => l && hl.some((h) => h && h.start === l.start));
        item.url = safeLink((to && to.url) || r.points_to, document.baseURI) || safeLink(r.link || r.url, document.baseURI);
        if (item.kind === "answer") opt.append(make("span", "label", "Answer"));
        // The section leads; the document title follows, muted.
        const doc = str(r.title) || str(r.document);
        // The heading path (section › subsection), if any.
        const path = Array.isArray(r.headings) ? r.headings.map(str).filter(Boolean).join(" \u203a ") : "";
        const sec = path || (str(r.section) !== doc ? str(r.section) : "");
        const head = make("div", "head");
        const name = make(item.url ? "a" : "span", "name " + (sec ? "sec" : "title"),
          sec || doc || (item.url ? "Open source" : ""));
        if (item.url) { name.href = item.url; name.tabIndex = -1; }
        head.append(name);
        if (str(r.kind)) head.append(make("span", "kind", r.kind));
        if (name.textContent || str(r.kind)) opt.append(head);
        // The document's full title, and the page of a PDF.
        const page = Number.isInteger(r.page) ? `p. ${r.page}` : "";
        const where = [sec ? doc : "", page].filter(Boolean).join(" \u00b7 ");
        if (where) opt.append(make("div", "doc title", where));
        const text = make("p", str(r.text).includes("\n") ? "text list" : "text");
        const done = marked(text, str(r.text), item.hl);
        if (item.kind === "answer" && item.said && !done) opt.append(make("p", "said", item.said));
        if (str(r.text)) opt.append(text);
      }
      item.node = opt;
      this._items.push(item);
      this._list.append(opt);
    }

    _show(open) {
      const has = Boolean(this._items.length || this._state.textContent);
      const on = open && has && (this._root.activeElement === this._input || !this._panel.hidden);
      this._panel.hidden = !on;
      this._list.hidden = !this._items.length;
      this._input.setAttribute("aria-expanded", String(on));
    }

    _activate(i) {
      const old = this._items[this._active];
      if (old) old.node.setAttribute("aria-selected", "false");
      this._active = i;
      const item = this._items[i];
      if (!item) return this._input.removeAttribute("aria-activedescendant");
      item.node.setAttribute("aria-selected", "true");
      this._input.setAttribute("aria-activedescendant", item.node.id);
      item.node.scrollIntoView({ block: "nearest" });
    }

    _key(ev) {
      const n = this._items.length;
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        if (!n) return;
        ev.preventDefault();
        this._show(true);
        const step = ev.key === "ArrowDown" ? 1 : -1;
        this._activate(this._active < 0 ? (step > 0 ? 0 : n - 1) : (this._active + step + n) % n);
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        if (this._active >= 0 && !this._panel.hidden) this._choose(this._active);
        else this._schedule(0, this._state.classList.contains("error"));  // retry after an error
      } else if (ev.key === "Escape" && (this._input.value || !this._panel.hidden)) {
        ev.preventDefault();
        this._input.value = "";
        this._reset();
      }
    }

    _choose(i) {
      const item = this._items[i];
      if (!item) return;
      if (item.kind === "topic") {
        this._input.value = item.topic;
        return this._schedule(0, true);
      }
      this._activate(i);
      // Host pages may cancel the choice and handle it themselves.
      const detail = { query: this._q, result: item.r, answer: item.kind === "answer" ? item.said : null, url: item.url };
      const go = this.dispatchEvent(new CustomEvent("scr-select", { detail, bubbles: true, composed: true, cancelable: true }));
      if (go && item.url) location.assign(item.url);
    }
  }

  ScrSearch.version = VERSION;
  customElements.define(TAG, ScrSearch);
})();
