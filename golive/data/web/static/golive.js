/* golive dashboard: live fragments, actions through the JSON API, trigger charts.
 *
 * - Live: one EventSource on the release's event stream; each event marks the
 *   fragments of its group ("rollout" for rollout.* events, "release" for the
 *   rest) for a refresh, and htmx fetches them again (hx-get on the fragment,
 *   triggered by "golive-refresh"). The page itself is never reloaded.
 * - Actions: every button with data-action (or data-item-op) POSTs JSON to the
 *   API with the session's CSRF token (X-CSRF-Token) and an Idempotency-Key.
 *   A button with data-confirm first opens the in-page <dialog>, which says
 *   exactly what will happen and asks for the reason when one is needed.
 * - expect_seq: release actions send the seq of the state the person saw; the
 *   API refuses them (409 stale) when the release moved on since.
 * - Charts: one uPlot chart per trigger, from GET /api/v1/releases/{id}/rollout.
 *
 * No inline script, no eval, no inline style attribute (the CSP forbids them).
 */
(function () {
  "use strict";

  var body = document.body;
  var release = body.dataset.release || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var live = {
    latest: Number(body.dataset.seq || 0), // the newest event seen on the stream
    lastRelease: 0, // the newest event that changes what the release fragments show
    pending: new Set(),
    timer: null,
    lastSlow: 0,
    busy: 0,
  };

  // -- small helpers ---------------------------------------------------------------
  function $(id) {
    return document.getElementById(id);
  }

  function idempotencyKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  var flashTimer = null;
  function flash(text, kind) {
    var box = $("flash");
    if (!box) return;
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "badge " + (kind || "info");
    p.setAttribute("role", kind === "bad" ? "alert" : "status");
    p.textContent = text;
    box.appendChild(p);
    if (flashTimer) clearTimeout(flashTimer);
    flashTimer = setTimeout(function () {
      box.textContent = "";
    }, kind === "bad" ? 20000 : 6000);
  }

  function setLive(text, kind) {
    var el = $("live");
    if (!el) return;
    el.hidden = false;
    el.className = "live badge " + kind;
    el.textContent = text;
  }

  function apiRelease() {
    return "/api/v1/releases/" + encodeURIComponent(release);
  }

  // -- live fragments --------------------------------------------------------------
  function fragments(group) {
    return Array.prototype.filter.call(document.querySelectorAll(".fragment[data-groups]"), function (el) {
      return el.dataset.groups.split(" ").indexOf(group) >= 0;
    });
  }

  function refresh(groups) {
    if (!window.htmx) return;
    var seen = new Set();
    groups.forEach(function (group) {
      fragments(group).forEach(function (el) {
        if (!seen.has(el)) {
          seen.add(el);
          window.htmx.trigger(el, "golive-refresh");
        }
      });
    });
    if (groups.indexOf("rollout") >= 0 || groups.indexOf("release") >= 0) {
      refreshCharts();
    }
  }

  function flush() {
    live.timer = null;
    var groups = Array.from(live.pending);
    live.pending.clear();
    if (Date.now() - live.lastSlow > 5000) {
      live.lastSlow = Date.now();
      groups.push("slow");
    }
    refresh(groups);
  }

  function noteEvent(event) {
    var seq = Number(event.seq || 0);
    live.latest = Math.max(live.latest, seq);
    var group = String(event.type || "").indexOf("rollout.") === 0 ? "rollout" : "release";
    if (group === "release") live.lastRelease = Math.max(live.lastRelease, seq);
    live.pending.add(group);
    if (!live.timer) live.timer = setTimeout(flush, 200);
  }

  function connect() {
    if (!release || !window.EventSource) return;
    var url = apiRelease() + "/events/stream?after=" + encodeURIComponent(body.dataset.seq || "0");
    var source = new EventSource(url);
    source.addEventListener("golive", function (message) {
      try {
        noteEvent(JSON.parse(message.data));
      } catch (e) {
        /* a malformed event: ignored */
      }
    });
    source.onopen = function () {
      setLive("● live", "ok");
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        setLive("✗ not live: reload the page", "bad");
      } else {
        setLive("○ reconnecting…", "warn");
      }
    };
  }

  // keep what the person had open and focused across a fragment swap
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var open = {};
    target.querySelectorAll("details[id]").forEach(function (d) {
      open[d.id] = d.open;
    });
    target._goliveOpen = open;
    var active = document.activeElement;
    target._goliveFocus = active && active.id && target.contains(active) ? active.id : null;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var open = target._goliveOpen || {};
    Object.keys(open).forEach(function (id) {
      var d = document.getElementById(id);
      if (d && d.tagName === "DETAILS") d.open = open[id];
    });
    var dialog = $("confirm");
    var focus = target._goliveFocus;
    if (focus && !(dialog && dialog.open)) {
      var el = document.getElementById(focus);
      if (el) el.focus({ preventScroll: true });
    }
    if (dialog && dialog.open) recheckDialog();
    countdown();
  });

  function inScope(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest && elt.closest("[data-stale-scope]");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (inScope(event)) live.busy += 1;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (inScope(event)) live.busy = Math.max(0, live.busy - 1);
  });

  /* Resolves once the release fragments show the latest state they were asked to show. */
  function settled() {
    var started = Date.now();
    return new Promise(function (resolve) {
      (function poll() {
        if ((live.busy === 0 && !live.timer) || Date.now() - started > 3000) {
          resolve();
        } else {
          setTimeout(poll, 25);
        }
      })();
    });
  }

  /* The seq of the state the person saw: the oldest release fragment on the page;
   * rollout events since do not change what those fragments show. */
  function expectSeq() {
    var seqs = Array.prototype.map.call(document.querySelectorAll("[data-stale-scope] [data-seq]"), function (el) {
      return Number(el.dataset.seq);
    });
    var shown = seqs.length ? Math.min.apply(null, seqs) : Number(body.dataset.seq || 0);
    return shown >= live.lastRelease ? Math.max(shown, live.latest) : shown;
  }

  // -- actions -------------------------------------------------------------------------
  function specOf(button) {
    var d = button.dataset;
    var spec = {
      id: button.id,
      name: d.action,
      label: button.textContent.replace(/\s+/g, " ").trim().replace(/…$/, ""),
      url: d.url,
      body: {},
      confirm: d.confirm || "",
      title: d.title || "",
      ok: d.ok || "",
      kind: (button.className.indexOf("danger") >= 0 ? "danger" : "primary"),
      reason: d.reason || "",
      reasonField: d.reasonField || "reason",
      reasonLabel: d.reasonLabel || "Reason (recorded)",
      stale: d.stale === "1",
    };
    try {
      spec.body = JSON.parse(d.body || "{}");
    } catch (e) {
      spec.body = {};
    }
    return spec;
  }

  function itemSpec(button) {
    var row = button.closest("[data-item]");
    var op = button.dataset.itemOp;
    var item = row.dataset.item;
    var text = "“" + row.dataset.text + "” (line " + row.dataset.line + ")";
    var path = item.split("/").map(encodeURIComponent).join("/");
    var spec = {
      id: button.id,
      name: "item." + op,
      label: button.textContent.trim().replace(/…$/, "") + ": " + row.dataset.text,
      url: apiRelease() + "/items/" + path + "/" + op,
      body: {},
      confirm: "",
      title: "",
      ok: "",
      kind: "danger",
      reason: "",
      reasonField: "reason",
      reasonLabel: "Reason (recorded)",
      stale: true,
    };
    if (op === "skip") {
      spec.confirm = "skip " + text + ": it is no longer due, its phase counts it as settled, and your reason is recorded";
      spec.title = "Skip an item";
      spec.ok = "Skip the item";
      spec.reason = "required";
    } else if (op === "fail") {
      spec.confirm = "mark " + text + " as failed, with your reason";
      spec.title = "Mark an item failed";
      spec.ok = "Mark failed";
      spec.reason = "required";
    } else if (op === "reopen") {
      spec.confirm = "reopen " + text + ": it goes back to pending";
      spec.title = "Reopen an item";
      spec.ok = "Reopen";
      spec.kind = "primary";
      spec.reason = "required";
    }
    return spec;
  }

  async function send(spec, reason) {
    var payload = Object.assign({}, spec.body);
    if (reason) payload[spec.reasonField] = reason;
    if (spec.stale) {
      await settled();
      payload.expect_seq = expectSeq();
    }
    var response;
    try {
      response = await fetch(spec.url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRF-Token": csrf,
          "Idempotency-Key": idempotencyKey(),
        },
        body: JSON.stringify(payload),
      });
    } catch (e) {
      return { ok: false, message: "The server did not answer: " + e };
    }
    var data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (response.ok) {
      var done = spec.label + ": done";
      if (data && Array.isArray(data.results)) done = spec.label + ": " + data.results.length + " results recorded";
      if (data && data.decision) done = "Recorded: " + data.decision;
      flash("✓ " + done, "ok");
      refresh(["release", "rollout"]);
      return { ok: true };
    }
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      return { ok: false, message: "Your session ended: sign in again." };
    }
    var error = data && data.error ? data.error : { code: "http_" + response.status, message: response.statusText };
    var message = error.message || "refused";
    if (error.code === "stale") {
      refresh(["release", "rollout"]);
      message = "The release moved on since you looked: the page now shows its latest state. Check it and try again.";
    }
    return { ok: false, message: spec.label + " refused: " + message };
  }

  async function run(spec) {
    var result = await send(spec, "");
    if (!result.ok) flash("✗ " + result.message, "bad");
  }

  // the confirmation dialog
  var dialog = $("confirm");
  var current = null;

  function showDialogError(text) {
    var err = $("confirm-error");
    err.textContent = text ? "✗ " + text : "";
    err.hidden = !text;
  }

  function openDialog(spec) {
    current = spec;
    $("confirm-title").textContent = spec.title || "Confirm";
    $("confirm-text").textContent = spec.confirm;
    var box = $("confirm-reason-box");
    box.hidden = !spec.reason;
    $("confirm-reason-label").textContent =
      spec.reasonLabel + (spec.reason === "required" ? " (required)" : " (optional)");
    $("confirm-reason").value = "";
    var ok = $("confirm-ok");
    ok.textContent = spec.ok || "Confirm";
    ok.className = "btn " + spec.kind;
    ok.disabled = false;
    showDialogError("");
    dialog.showModal();
    if (spec.reason) {
      $("confirm-reason").focus();
    } else {
      $("confirm-cancel").focus();
    }
  }

  /* The state moved while the dialog was open: say what the action does now. */
  function recheckDialog() {
    if (!current || !current.id || current.name.indexOf("item.") === 0) return;
    var button = document.getElementById(current.id);
    if (!button) {
      showDialogError("this action is no longer offered: the release moved on. Cancel and look again.");
      $("confirm-ok").disabled = true;
      return;
    }
    var sentence = button.dataset.confirm || "";
    if (sentence && sentence !== current.confirm) {
      current.confirm = sentence;
      $("confirm-text").textContent = sentence;
    }
  }

  if (dialog) {
    $("confirm-form").addEventListener("submit", async function (event) {
      var submitter = event.submitter;
      if (!submitter || submitter.value !== "ok") {
        return; // Cancel: the dialog closes (method=dialog)
      }
      event.preventDefault();
      var spec = current;
      if (!spec) return;
      var reason = $("confirm-reason").value.trim();
      if (spec.reason === "required" && !reason) {
        showDialogError("Say why: the reason is recorded with the action.");
        $("confirm-reason").focus();
        return;
      }
      var ok = $("confirm-ok");
      ok.disabled = true;
      var result = await send(spec, reason);
      ok.disabled = false;
      if (result.ok) {
        dialog.close("done");
      } else {
        showDialogError(result.message);
      }
    });
    dialog.addEventListener("close", function () {
      var spec = current;
      current = null;
      if (spec && spec.id) {
        var back = document.getElementById(spec.id);
        if (back) back.focus({ preventScroll: true });
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-action], button[data-item-op]");
    if (!button || button.disabled) return;
    event.preventDefault();
    var spec = button.dataset.itemOp ? itemSpec(button) : specOf(button);
    if ((spec.confirm || spec.reason) && dialog) {
      openDialog(spec);
    } else {
      run(spec);
    }
  });

  // -- the T-minus clock -------------------------------------------------------------------
  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function tminus(launch, now) {
    var seconds = Math.round((now - launch) / 1000);
    if (Math.abs(seconds) < 1) return "T-0";
    var sign = seconds > 0 ? "T+" : "T-";
    seconds = Math.abs(seconds);
    var d = Math.floor(seconds / 86400);
    var h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    if (d) return sign + d + "d " + h + "h";
    if (h) return sign + h + "h " + two(m) + "m";
    return sign + m + "m " + two(s) + "s";
  }

  function countdown() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var launch = Date.parse(el.dataset.countdown);
      if (!isNaN(launch)) el.textContent = tminus(launch, Date.now());
    });
  }

  // -- trigger charts ---------------------------------------------------------------------------
  var charts = new Map();
  var STATES = {
    ok: "✓ ok",
    breach: "⚠ breach",
    error: "✗ error",
    inconclusive: "? inconclusive",
    fired: "⚡ fired",
    pending: "○ pending",
  };
  var chartBusy = false;
  var chartAgain = false;

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function threshold(breach) {
    var m = /^\s*value\s*(<=|>=|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$/i.exec(breach || "");
    return m ? Number(m[2]) : null;
  }

  function chartData(trigger) {
    var xs = [];
    var ys = [];
    (trigger.history || []).forEach(function (h) {
      var at = Date.parse(h.at);
      if (!isNaN(at)) {
        xs.push(at / 1000);
        ys.push(typeof h.value === "number" ? h.value : null);
      }
    });
    var line = threshold(trigger.breach);
    return [xs, ys, xs.map(function () {
      return line;
    })];
  }

  function caption(figure, trigger) {
    var cap = figure.querySelector("figcaption");
    cap.textContent = "";
    var name = document.createElement("strong");
    name.textContent = trigger.name;
    var state = document.createElement("span");
    state.className = "badge " + ({ ok: "ok", breach: "bad", fired: "bad", error: "warn", inconclusive: "warn" }[trigger.state] || "neutral");
    state.textContent = STATES[trigger.state] || trigger.state;
    var rest = document.createElement("span");
    rest.className = "muted";
    var last = trigger.last_value === null || trigger.last_value === undefined ? "no value" : String(Number(trigger.last_value.toPrecision(4)));
    rest.textContent =
      " last " + last + " · breach when " + (trigger.breach || "the probe fails") + " · " + (trigger.history || []).length + " evaluations shown";
    cap.appendChild(name);
    cap.appendChild(document.createTextNode(" "));
    cap.appendChild(state);
    cap.appendChild(rest);
  }

  function makeChart(box, trigger) {
    var figure = document.createElement("figure");
    figure.className = "chart";
    figure.dataset.trigger = trigger.name;
    figure.appendChild(document.createElement("figcaption"));
    var plot = document.createElement("div");
    plot.className = "plot";
    plot.setAttribute("role", "img");
    plot.setAttribute("aria-label", "values of trigger " + trigger.name + " over time");
    figure.appendChild(plot);
    box.appendChild(figure);
    var width = Math.max(280, plot.clientWidth || 480);
    var axis = css("--fg-muted", "#555");
    var grid = css("--line", "#ddd");
    var opts = {
      width: width,
      height: 200,
      legend: { show: true },
      scales: { x: { time: true } },
      series: [
        {},
        { label: trigger.name, stroke: css("--chart-line", "#1f6feb"), width: 2, points: { show: true, size: 4 }, spanGaps: false },
        { label: "breach line", stroke: css("--chart-breach", "#c62828"), width: 1.5, dash: [6, 4], points: { show: false } },
      ],
      axes: [
        { stroke: axis, grid: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid }, size: 60 },
      ],
    };
    var chart = new window.uPlot(opts, chartData(trigger), plot);
    return { figure: figure, chart: chart };
  }

  async function refreshCharts() {
    var box = $("charts");
    if (!box || !window.uPlot) return;
    if (chartBusy) {
      chartAgain = true;
      return;
    }
    chartBusy = true;
    try {
      var response = await fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      var view = await response.json();
      var triggers = view.triggers || [];
      var empty = $("charts-empty");
      if (empty) empty.hidden = triggers.length > 0;
      triggers.forEach(function (trigger) {
        var entry = charts.get(trigger.name);
        if (!entry) {
          entry = makeChart(box, trigger);
          charts.set(trigger.name, entry);
        } else {
          entry.chart.setData(chartData(trigger));
        }
        caption(entry.figure, trigger);
      });
    } catch (e) {
      /* the next event tries again */
    } finally {
      chartBusy = false;
      if (chartAgain) {
        chartAgain = false;
        refreshCharts();
      }
    }
  }

  if (window.ResizeObserver) {
    var resize = new ResizeObserver(function () {
      charts.forEach(function (entry) {
        var plot = entry.figure.querySelector(".plot");
        var width = Math.max(280, plot.clientWidth || 480);
        if (Math.abs(width - entry.chart.width) > 4) entry.chart.setSize({ width: width, height: 200 });
      });
    });
    if ($("charts")) resize.observe($("charts"));
  }

  // -- start ---------------------------------------------------------------------------------
  countdown();
  setInterval(countdown, 1000);
  connect();
  refreshCharts();
})();
