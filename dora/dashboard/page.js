// Draws the dashboard from the JSON the Python side embedded: formats and draws, never computes a metric.
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("dora-data").textContent);
  // The levels in force per metric (marts.dora_levels): none for a report year without levels.
  const LEVELS_OF = (DATA.benchmarks && DATA.benchmarks.levels) || {};
  const REPORT_YEAR = DATA.benchmarks && DATA.benchmarks.report_year;
  const LEVELS = ["elite", "high", "medium", "low"];
  const NO_DATA = "No data yet";

  // --- formatting: one decimal (two below 1) at most, trailing zeros dropped ---------------------
  function num1(v) {
    const digits = Math.abs(v) < 1 ? 2 : 1;
    return v.toLocaleString("en-US", { maximumFractionDigits: digits });
  }
  function fmtRate(v) { return num1(v) + " /week"; }
  function fmtHours(h) {
    if (h < 1) return Math.round(h * 60) + " min";
    if (h < 48) return num1(h) + " h";
    return num1(h / 24) + " d";
  }
  function fmtPercent(v) { return num1(v * 100) + "%"; }
  function fmtCount(v) { return Math.round(v).toLocaleString("en-US"); }
  function present(v) { return typeof v === "number" && isFinite(v); }

  const METRICS = [
    { key: "deployment_frequency", title: "Deployment frequency", short: "Deploys", fmt: fmtRate, weekly: "deployments",
      weeklyNote: "Deployments per week", better: "higher" },
    { key: "lead_time", title: "Lead time for changes", short: "Lead time", fmt: fmtHours, weekly: "lead_time_median_hours",
      weeklyNote: "Median first commit to deployment, per week", better: "lower" },
    { key: "change_failure_rate", title: "Change failure rate", short: "Failure rate", fmt: fmtPercent, weekly: "change_failure_rate",
      weeklyNote: "Share of the week's deployments that caused an incident", better: "lower" },
    { key: "time_to_restore", title: "Time to restore", short: "Restore", fmt: fmtHours, weekly: "time_to_restore_median_hours",
      weeklyNote: "Median incident open to resolved, per week", better: "lower" },
    { key: "rework_rate", title: "Deployment rework rate", short: "Rework", fmt: fmtPercent, weekly: "rework_rate",
      weeklyNote: "Share of the week's deployments that were rework (unplanned fixes)", better: "lower" },
  ];
  // What a tile's value is computed from: dora_summary's counts, in the order data.py gives them.
  const BASIS = {
    deployment_frequency: ([n]) => plural(n, "deployment") + " in " + DATA.window_days + " days",
    lead_time: ([n]) => "median of " + plural(n, "change"),
    change_failure_rate: ([failed, n]) => fmtCount(failed) + " of " + plural(n, "deployment") + " failed",
    time_to_restore: ([resolved, n]) => "median of " + fmtCount(resolved) + " resolved of " + plural(n, "incident"),
    rework_rate: ([rework, n]) => fmtCount(rework) + " of " + plural(n, "deployment") + " were rework",
  };
  function plural(n, noun) { return fmtCount(n) + " " + noun + (n === 1 ? "" : "s"); }

  // --- DOM helpers ------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function noData(text) { return el("p", { class: "no-data" }, text || NO_DATA); }
  function hasLevels(metric) { return Boolean((LEVELS_OF[metric.key] || []).length); }
  function levelBadge(level) {
    const known = LEVELS.includes(level);
    return el("span", { class: "level lvl-" + (known ? level : "none") },
      known ? level[0].toUpperCase() + level.slice(1) : "no level");
  }
  function fmtDate(iso) {
    const d = new Date(iso.length === 10 ? iso + "T00:00:00Z" : iso);
    return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }
  function fmtShortDate(iso) {
    return new Date(iso + "T00:00:00Z").toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  }
  function fmtDateTime(iso) {
    return new Date(iso).toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZone: "UTC" }) + " UTC";
  }

  // --- tiles ------------------------------------------------------------------------------------
  function delta(metric, value, previous) {
    if (!present(value) || !present(previous)) return { text: "nothing to compare with in the 30 days before", cls: "" };
    let change, text;
    if (metric.fmt === fmtPercent) {
      change = (value - previous) * 100;
      text = num1(Math.abs(change)) + " pts";
    } else if (previous === 0) {
      change = value;
      text = value === 0 ? "" : "up from 0";
    } else {
      change = (value - previous) / previous * 100;
      text = Math.round(Math.abs(change)) + "%";
    }
    if (Math.abs(change) < 0.05) return { text: "no change from " + metric.fmt(previous), cls: "" };
    const arrow = change > 0 ? "▲ " : "▼ ";
    const better = metric.better === "higher" ? change > 0 : change < 0;
    return { text: arrow + text + " from " + metric.fmt(previous) + (better ? " · better" : " · worse"),
      cls: better ? "better" : "worse" };
  }

  function renderTiles(scope) {
    const tiles = METRICS.map((metric) => {
      const tile = scope.tiles[metric.key];
      const level = present(tile.value) ? tile.level : null;
      const d = delta(metric, tile.value, tile.previous);
      return el("article", { class: "tile lvl-" + (level || "none"), "data-metric": metric.key },
        el("div", { class: "tile-title" }, metric.title),
        present(tile.value)
          ? el("div", { class: "tile-value" }, metric.fmt(tile.value))
          : el("div", { class: "tile-value empty" }, NO_DATA),
        present(tile.value) ? el("div", { class: "tile-basis" }, BASIS[metric.key](tile.basis)) : null,
        el("div", { class: "tile-foot" },
          present(tile.value) && hasLevels(metric) ? levelBadge(level) : null,
          el("span", { class: "delta " + d.cls }, present(tile.value) ? d.text : "")));
    });
    document.getElementById("tiles").replaceChildren(...tiles);
    const overall = document.getElementById("overall");
    overall.replaceChildren(...(scope.overall_level ? ["overall ", levelBadge(scope.overall_level)] : []));
  }

  // --- trend charts -----------------------------------------------------------------------------
  // Axis steps: round numbers, or for durations round hours and days (never "2.1 d" gridlines).
  const HOUR_STEPS = [0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760];
  function niceStep(range, hours) {
    const raw = range / 4;
    if (hours) return HOUR_STEPS.find((step) => step >= raw) || raw;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const fraction = raw / magnitude;
    return magnitude * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10);
  }

  // The level bands from 0 upwards, as [from, to, level]: the range dbt gives each reachable level.
  function bands(key) {
    return (LEVELS_OF[key] || []).filter((l) => l.is_reachable)
      .map((l) => [present(l.lower_bound) ? l.lower_bound : 0, present(l.upper_bound) ? l.upper_bound : Infinity, l.level])
      .sort((a, b) => a[0] - b[0]);
  }

  function chart(metric, weeks) {
    const points = weeks.map((w) => ({ week: w.week_start, v: w[metric.weekly] }));
    const values = points.filter((p) => present(p.v)).map((p) => p.v);
    if (!values.length) return noData(NO_DATA + " for this chart");

    const W = 640, H = 230, left = 62, right = 62, top = 10, bottom = 26;
    const plotW = W - left - right, plotH = H - top - bottom;
    const max = Math.max(...values);
    // Show the next level boundary above the data too when it is near, so the reader sees how far it is.
    const next = Math.min(...bands(metric.key).map((b) => b[1]).filter((b) => b > max));
    const wanted = (isFinite(next) && (next <= max * 2 || max === 0) ? next : max) * 1.08 || 1;
    const step = niceStep(wanted, metric.fmt === fmtHours);
    const yMax = Math.ceil(wanted / step) * step;
    const y = (v) => top + plotH - (Math.min(v, yMax) / yMax) * plotH;
    const x = (i) => left + (points.length === 1 ? plotW / 2 : (i * plotW) / (points.length - 1));

    const layers = [];
    for (const [from, to, level] of bands(metric.key)) {
      if (from >= yMax) continue;
      const y0 = y(from), y1 = y(Math.min(to, yMax));
      layers.push(svg("rect", { class: "band-" + level, x: left, y: y1, width: plotW, height: y0 - y1 }));
      if (y0 - y1 >= 13) {
        layers.push(svg("text", { class: "band-label", x: left + plotW + 6, y: (y0 + y1) / 2 + 3.5 },
          level[0].toUpperCase() + level.slice(1)));
      }
    }
    for (let v = 0; v <= yMax + step / 1000; v += step) {
      layers.push(svg("line", { class: "grid", x1: left, x2: left + plotW, y1: y(v), y2: y(v) }));
      layers.push(svg("text", { x: left - 6, y: y(v) + 3.5, "text-anchor": "end" }, v ? metric.fmt(v) : "0"));
    }
    const labelEvery = Math.ceil(points.length / 7);
    points.forEach((p, i) => {
      if ((points.length - 1 - i) % labelEvery === 0) {
        layers.push(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, fmtShortDate(p.week)));
      }
    });
    // Quiet weeks have no median: the line breaks there instead of inventing a value.
    let path = "";
    points.forEach((p, i) => {
      if (!present(p.v)) return;
      path += (i > 0 && present(points[i - 1].v) ? "L" : "M") + x(i).toFixed(1) + " " + y(p.v).toFixed(1);
    });
    layers.push(svg("path", { class: "line", d: path }));
    points.forEach((p, i) => {
      if (!present(p.v)) return;
      layers.push(svg("circle", { class: "dot", cx: x(i), cy: y(p.v), r: 3.5, "data-week": p.week },
        svg("title", {}, "Week of " + fmtDate(p.week) + ": " + metric.fmt(p.v))));
    });
    return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": metric.title + " per week, " + points.length + " weeks" }, layers);
  }

  function renderCharts(scope) {
    const charts = METRICS.map((metric) =>
      el("figure", { class: "card chart", "data-metric": metric.key, style: "margin:0" },
        el("h3", {}, metric.title),
        el("p", { class: "chart-note" }, metric.weeklyNote),
        chart(metric, scope.weekly)));
    document.getElementById("charts").replaceChildren(...charts);
  }

  // --- lead time breakdown ----------------------------------------------------------------------
  const PARTS = [["coding", "Coding", "first commit to pull request opened"],
    ["review", "Review", "opened to merged"], ["deploy_wait", "Deploy wait", "merged to deployed"]];

  function renderLeadParts(scope) {
    const parts = scope.lead_time_parts;
    const box = document.getElementById("lead-parts");
    const known = parts ? PARTS.filter(([key]) => present(parts[key])) : [];
    if (!known.length) {
      box.replaceChildren(noData(NO_DATA + ": no change was deployed in the last 30 days"));
      return;
    }
    const total = known.reduce((sum, [key]) => sum + parts[key], 0);
    box.replaceChildren(
      el("div", { class: "stack", role: "img", "aria-label": "Median hours per stage" },
        known.map(([key, label]) => el("span", { class: "part-" + key, title: label + ": " + fmtHours(parts[key]),
          style: "flex-grow:" + (total > 0 ? parts[key] / total : 1) }))),
      el("div", { class: "legend" }, known.map(([key, label, help]) =>
        el("span", { "data-part": key }, el("i", { class: "part-" + key }), label + " ",
          el("b", {}, fmtHours(parts[key])), el("span", { class: "muted" }, " · " + help)))),
      el("p", { class: "chart-note", style: "margin-top:0.6rem" },
        "Medians of each stage over " + fmtCount(parts.changes) + " change" + (parts.changes === 1 ? "" : "s") +
        " deployed in the last 30 days" +
        (present(parts.lead_time) ? "; the median lead time is " + fmtHours(parts.lead_time) +
          " (medians of stages need not add up to it)." : ".")));
  }

  // --- failed and rework deployments of the window ----------------------------------------------
  function inScope(selected, d) {
    if (selected.scope === "team") return d.team === selected.name;
    if (selected.scope === "service") return d.service === selected.name;
    return true;
  }

  function link(url, text) {
    return url ? el("a", { href: url, rel: "noopener" }, text) : null;
  }

  function renderExplained(selected) {
    const all = DATA.explained_deployments || [];
    const rows = all.filter((d) => inScope(selected, d));
    const box = document.getElementById("explained");
    if (!rows.length) {
      box.replaceChildren(noData("No failed or rework deployment in the last 30 days"));
      return;
    }
    const reasons = (text) => (text || "").split("; ").filter(Boolean).map((reason) => el("li", {}, reason));
    box.replaceChildren(
      el("table", {},
        el("thead", {}, el("tr", {}, ["Deployed", "Service", "Counts as", "Why", "Links"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows.map((d) => el("tr", { "data-deployment": d.deployment_id },
          el("td", { class: "num" }, fmtDateTime(d.deployed_at)),
          el("td", {}, d.service || "—"),
          el("td", {}, d.is_failed ? el("span", { class: "tag failed" }, "failed") : null,
            d.is_rework ? el("span", { class: "tag rework" }, "rework") : null),
          el("td", {}, el("ul", { class: "reasons" }, reasons(d.failure_reason), reasons(d.rework_reason))),
          el("td", { class: "links" }, link(d.url, "deployment"),
            d.incidents.map((i) => link(i.url, i.incident_id))))))),
      ...(all.length === DATA.explained_limit
        ? [el("p", { class: "chart-note" }, "The " + DATA.explained_limit + " most recent of the organisation are listed.")]
        : []));
  }

  // --- team and service tables ------------------------------------------------------------------
  const sortState = { team: { column: "name", descending: false }, service: { column: "name", descending: false } };

  function tableRows(kind, selected) {
    return Object.entries(DATA.scopes).filter(([, s]) => s.scope === kind && s.name).filter(([key, s]) => {
      if (selected.scope === "org") return true;
      if (selected.scope === "team") return kind === "team" ? s.name === selected.name : s.team === selected.name;
      return kind === "service" ? s.name === selected.name : s.name === selected.team;
    }).map(([key, s]) => ({ key, scope: s }));
  }

  function sortValue(row, column) {
    if (column === "name" || column === "team") return row.scope[column] || "";
    if (column === "overall") return row.scope.overall_level ? LEVELS.indexOf(row.scope.overall_level) : null;
    return row.scope.tiles[column].value;
  }

  function renderTable(kind, selectedKey) {
    const selected = DATA.scopes[selectedKey];
    const rows = tableRows(kind, selected);
    const box = document.getElementById(kind + "-table");
    if (!rows.length) {
      box.replaceChildren(noData(kind === "team" ? "No teams yet" : "No services yet"));
      return;
    }
    const state = sortState[kind];
    rows.sort((a, b) => {
      const va = sortValue(a, state.column), vb = sortValue(b, state.column);
      if (va === null || va === undefined) return vb === null || vb === undefined ? 0 : 1;  // no data last
      if (vb === null || vb === undefined) return -1;
      const order = typeof va === "string" ? va.localeCompare(vb) : va - vb;
      return state.descending ? -order : order;
    });
    const columns = [["name", kind === "team" ? "Team" : "Service"]]
      .concat(kind === "service" ? [["team", "Team"]] : [])
      .concat(METRICS.map((m) => [m.key, m.short]))
      .concat([["overall", "Overall"]]);
    const header = el("tr", {}, columns.map(([column, label]) => {
      const button = el("button", { type: "button" }, label);
      button.addEventListener("click", () => {
        state.descending = state.column === column ? !state.descending : false;
        state.column = column;
        renderTable(kind, selectedKey);
      });
      return el("th", { scope: "col", "data-column": column,
        "aria-sort": state.column === column ? (state.descending ? "descending" : "ascending") : "none" }, button);
    }));
    const body = rows.map(({ key, scope }) => el("tr", { "data-scope": key, class: key === selectedKey ? "selected" : null },
      el("td", {}, scope.name),
      kind === "service" ? el("td", {}, scope.team || "—") : null,
      METRICS.map((m) => {
        const tile = scope.tiles[m.key];
        return present(tile.value)
          ? el("td", { class: "num", "data-metric": m.key }, m.fmt(tile.value), hasLevels(m) ? levelBadge(tile.level) : null)
          : el("td", { class: "num muted", "data-metric": m.key }, "no data");
      }),
      el("td", {}, scope.overall_level ? levelBadge(scope.overall_level) : el("span", { class: "muted" }, "—"))));
    box.replaceChildren(el("table", {}, el("thead", {}, header), el("tbody", {}, body)));
  }

  // --- definitions and freshness (the same for every scope) -------------------------------------
  function definitionList(kind, noun) {
    const definitions = (DATA.definitions && DATA.definitions[kind]) || [];
    if (!definitions.length) return noData("No " + noun + " definitions yet");
    const matched = (DATA.definitions.matched_in_window || {})[kind] || {};
    return el("ul", {}, definitions.map((d) => el("li", { "data-definition": d.definition_id },
      el("code", {}, d.definition_id), " ", el("span", { class: "muted" }, "(" + d.method.replace(/_/g, " ") + ")"),
      d.filters.length
        ? [": ", d.filters.map((f, i) => [i ? ", " : "", f.filter + " = ", el("code", {}, f.value),
          f.default ? el("span", { class: "muted" }, " (default)") : null])]
        : ": all",
      el("span", { class: "muted" }, " · " + fmtCount(matched[d.definition_id] || 0) + " matched in the last 30 days"))));
  }

  // A metric's levels in words: each reachable level's bound (the best level whose bound a value
  // meets is its level), and the levels no value can reach in the published table.
  function levelsText(metric) {
    const levels = LEVELS_OF[metric.key] || [];
    if (!levels.length) return metric.key === "rework_rate" ? "no DORA report publishes levels for it" : "none";
    const sign = levels[0].better === "higher" ? " ≥ " : " ≤ ";
    const reached = levels.filter((l) => l.is_reachable && present(l.published_bound))
      .map((l) => l.level + sign + metric.fmt(l.published_bound));
    const never = levels.filter((l) => !l.is_reachable).map((l) => l.level + " (" + metric.fmt(l.published_bound) +
      ") is never reached: a value meeting it already meets a better level's bound");
    return reached.concat(["low otherwise"]).join(", ") + (never.length ? "; " + never.join("; ") : "");
  }

  function levelsNote() {
    if (!REPORT_YEAR) return null;
    return Object.keys(LEVELS_OF).length
      ? "Levels from the DORA " + REPORT_YEAR + " report, read from its table as published."
      : "The DORA " + REPORT_YEAR + " report publishes no performance levels (from 2025 on the reports describe " +
        "team profiles instead of elite, high, medium and low), so the metrics are shown without levels.";
  }

  function renderDefinitions() {
    const how = {
      deployment_frequency: "Deployments in the window ÷ weeks in the window.",
      lead_time: "Median time from a change's first commit to the deployment that shipped it.",
      change_failure_rate: "Deployments followed by an incident attributed to them ÷ deployments.",
      time_to_restore: "Median time from an incident's creation to its resolution (resolved incidents only).",
      rework_rate: "Deployments that were rework (a rework definition matches them) ÷ deployments.",
    };
    const services = (DATA.definitions && DATA.definitions.services) || [];
    document.getElementById("definitions").replaceChildren(
      el("div", { class: "card" }, el("h3", {}, "A deployment is"), definitionList("deployment", "deployment"),
        el("h3", { style: "margin-top:1rem" }, "An incident is"), definitionList("incident", "incident"),
        el("h3", { style: "margin-top:1rem" }, "A deployment is rework when"), definitionList("rework", "rework")),
      el("div", { class: "card" }, el("h3", {}, "How each metric is computed"), el("dl", {},
        METRICS.map((m) => [el("dt", {}, m.title), el("dd", { "data-metric": m.key }, how[m.key] + " Levels: " + levelsText(m) + ".")])),
        levelsNote() ? el("p", { class: "chart-note", style: "margin-top:0.8rem" }, levelsNote()) : null),
      el("div", { class: "card table-card wide" }, el("h3", {}, "Services and their teams"),
        services.length
          ? el("table", {}, el("thead", {}, el("tr", {}, ["Service", "Team", "Repository", "PagerDuty service"].map((h) => el("th", { scope: "col" }, h)))),
            el("tbody", {}, services.map((s) => el("tr", {}, [s.service, s.team, s.repository, s.pagerduty_service]
              .map((v) => el("td", {}, v || "—"))))))
          : noData("No services mapped yet: deployments and incidents keep the names their sources give")));
  }

  function renderFreshness() {
    const rows = DATA.freshness;
    const box = document.getElementById("freshness");
    if (!rows || !rows.length) {
      box.replaceChildren(el("p", { class: "muted", style: "margin:0" }, "Source freshness: unknown (the publish step recorded none)."));
      return;
    }
    const generated = new Date(DATA.generated_at);
    box.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ["Source", "Table", "Last loaded", "Rows"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((r) => {
        let loaded = el("span", { class: "muted" }, "unknown");
        if (r.last_loaded_at) {
          const ageHours = (generated - new Date(r.last_loaded_at)) / 3.6e6;
          loaded = el("span", { class: ageHours > 48 ? "stale" : null },
            fmtDateTime(r.last_loaded_at) + " (" + fmtHours(Math.max(ageHours, 0)) + " before this page)");
        }
        return el("tr", { "data-source": r.source + "." + r.resource },
          el("td", {}, r.source || "—"), el("td", {}, r.resource || "—"), el("td", {}, loaded),
          el("td", { class: "num" }, present(r.row_count) ? fmtCount(r.row_count) : "unknown"));
      }))));
  }

  // --- scope picker -----------------------------------------------------------------------------
  function scopeLabel(s) {
    if (s.scope === "org") return "Whole organisation";
    return s.scope === "team" ? s.name + " (team)" : s.name + (s.team ? " (" + s.team + ")" : "");
  }

  function renderScopePicker() {
    const select = document.getElementById("scope");
    const groups = { team: el("optgroup", { label: "Teams" }), service: el("optgroup", { label: "Services" }) };
    const options = [];
    for (const [key, s] of Object.entries(DATA.scopes)) {
      const option = el("option", { value: key }, scopeLabel(s));
      if (groups[s.scope]) groups[s.scope].append(option); else options.push(option);
    }
    select.replaceChildren(...options, ...Object.values(groups).filter((g) => g.children.length));
    select.addEventListener("change", () => {
      history.replaceState(null, "", "#" + encodeURIComponent(select.value));
      render(select.value);
    });
    const fromHash = decodeURIComponent(location.hash.slice(1));
    select.value = DATA.scopes[fromHash] ? fromHash : "org:";
    return select.value;
  }

  function render(key) {
    const scope = DATA.scopes[key];
    renderTiles(scope);
    renderCharts(scope);
    renderLeadParts(scope);
    renderExplained(scope);
    renderTable("team", key);
    renderTable("service", key);
  }

  // The window is [window_start, window_end): its last day is the one before window_end.
  function windowText(startIso, endIso) {
    const last = new Date(new Date(endIso).getTime() - 1).toISOString();
    return "Last " + DATA.window_days + " days: " + fmtDate(startIso) + " to " + fmtDate(last);
  }

  document.getElementById("subtitle").textContent = DATA.window_end
    ? windowText(DATA.window_start, DATA.window_end) + " · page generated " + fmtDateTime(DATA.generated_at)
    : "No data yet: run the pipeline to fill it · page generated " + fmtDateTime(DATA.generated_at);
  if (Object.keys(LEVELS_OF).length) {
    document.getElementById("benchmark-year").textContent = " (DORA " + REPORT_YEAR + " report)";
  } else if (REPORT_YEAR) {
    document.getElementById("levels-note").textContent = levelsNote();
  }
  renderDefinitions();
  renderFreshness();
  render(renderScopePicker());
})();
