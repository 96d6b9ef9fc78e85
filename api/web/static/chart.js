// A count's history as a step chart (uPlot): the low bound as a line, a band up to the high
// bound, a dashed open top where there is no upper bound, gaps where there is no data (never
// drawn as zero). Arrow keys on the chart step through the changes, Home and End go to the first and
// the last; the table below the chart
// holds the same steps for screen readers, print and browsers without JavaScript. Every
// `.chart-area` of the page is drawn so (over recording time, and over publication time): its
// data-points names its points, data-rows the prefix of its table's row ids, data-live the
// region that describes the step under the cursor or the keyboard.
(function () {
  if (typeof uPlot === "undefined") return;
  window.ledgerCharts = {};
  document.querySelectorAll(".chart-area").forEach(function (holder) {
    var points = document.getElementById(holder.dataset.points || "chart-data");
    if (!points) return;
    var plot = draw(holder, JSON.parse(points.textContent), holder.dataset.rows || "step-",
                    document.getElementById(holder.dataset.live || "chart-step"));
    if (plot) window.ledgerCharts[holder.id] = plot;
  });
  window.ledgerChart = window.ledgerCharts.chart;

  // Times as the page's language writes them, in UTC as the tables give them, in the Latin digits the
  // pages keep for every language (docs/web.md); uPlot's own would be English month names in local time.
  function written(options) {
    return new Intl.DateTimeFormat(document.documentElement.lang || "en",
                                   Object.assign({ timeZone: "UTC", numberingSystem: "latn" }, options));
  }
  var DAY = 86400;
  var years = written({ year: "numeric" }), months = written({ year: "numeric", month: "short" }),
      days = written({ month: "short", day: "numeric" }), hours = written({ hour: "2-digit", minute: "2-digit" }),
      seconds = written({ hour: "2-digit", minute: "2-digit", second: "2-digit" }),
      fractions = [null, 1, 2, 3].map(function (n) {  // steps recorded within a second of each other
        return n && written({ hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: n });
      }), moments = written({ dateStyle: "medium", timeStyle: "medium" });
  function ticks(u, splits, axis, space, incr) {
    var form = incr >= 360 * DAY ? years : incr >= 28 * DAY ? months : incr >= DAY ? days : incr >= 60 ? hours
      : incr >= 1 ? seconds : fractions[Math.min(3, Math.ceil(-Math.log10(incr) - 1e-9))];
    return splits.map(function (t) { return form.format(new Date(t * 1000)); });
  }
  var counts = new Intl.NumberFormat(document.documentElement.lang || "en", { numberingSystem: "latn" });
  function count(u, v) { return v === null || v === undefined ? "" : counts.format(v); }
  function moment(u, t) { return t === null || t === undefined ? "" : moments.format(new Date(t * 1000)) + " UTC"; }

  function draw(holder, data, rows, live) {
    if (!data.length) return null;
    var times = [], lows = [], highs = [], opens = [];
    var top = 0;
    data.forEach(function (p) { top = Math.max(top, p.low || 0, p.high || 0); });
    var ceiling = Math.max(1, Math.ceil(top * 1.25));
    data.forEach(function (p) {
      times.push(Date.parse(p.t) / 1000);
      var none = p.kind === "no_data";
      lows.push(none ? null : p.low);
      highs.push(none || p.high === null ? null : p.high);
      opens.push(!none && p.high === null ? ceiling : null);
    });
    // The last step holds until now: one more point so it is drawn with its width.
    times.push(Math.max(Date.now() / 1000, times[times.length - 1] + 1));
    lows.push(lows[lows.length - 1]); highs.push(highs[highs.length - 1]); opens.push(opens[opens.length - 1]);
    var step = uPlot.paths.stepped({ align: 1 });
    var css = getComputedStyle(document.documentElement);
    var ink = css.getPropertyValue("--ink").trim() || "#1a1a1a";
    var accent = css.getPropertyValue("--accent").trim() || "#0b5394";
    var current = data.length - 1;
    function show(i) {
      if (i === null || i === undefined || i >= data.length) return;
      current = i;
      var row = document.getElementById(rows + i);
      if (live) live.textContent = row ? row.innerText.replace(/\s+/g, " ") : "";
      document.querySelectorAll("tr.current-step[id^='" + rows + "']").forEach(function (r) {
        r.classList.remove("current-step");
      });
      if (row) row.classList.add("current-step");
    }
    var plot = new uPlot({
      width: Math.min(holder.clientWidth || 800, 960), height: 320,
      scales: { x: { time: true }, y: { range: [0, ceiling] } },
      tzDate: function (t) { return uPlot.tzDate(new Date(t * 1000), "Etc/UTC"); },
      axes: [{ stroke: ink, values: ticks, space: 80 },
             { stroke: ink, values: function (u, splits) { return splits.map(function (v) { return count(u, v); }); } }],
      series: [
        { label: holder.dataset.labelTime, value: moment },
        { label: holder.dataset.labelLow, stroke: accent, width: 2, paths: step, spanGaps: false, value: count },
        { label: holder.dataset.labelHigh, stroke: accent, width: 1, paths: step, spanGaps: false, value: count },
        { label: holder.dataset.labelOpen, stroke: accent, width: 1, dash: [6, 4], paths: step, spanGaps: false,
          value: function (u, v) { return v === null ? "" : "∞"; } },
      ],
      bands: [{ series: [2, 1], fill: "rgba(11,83,148,0.22)" }, { series: [3, 1], fill: "rgba(11,83,148,0.08)" }],
      hooks: { setCursor: [function (u) { show(u.cursor.idx); }] },
    }, [times, lows, highs, opens], holder);
    // The time axis runs left to right in every language (as the month chart does), so the arrows follow it.
    var keys = { ArrowRight: function (i) { return i + 1; }, ArrowLeft: function (i) { return i - 1; },
                 Home: function () { return 0; }, End: function () { return data.length - 1; } };
    holder.addEventListener("keydown", function (e) {
      if (!keys.hasOwnProperty(e.key)) return;
      e.preventDefault();
      show(Math.max(0, Math.min(data.length - 1, keys[e.key](current))));
    });
    holder.addEventListener("focus", function () { show(current); });
    // Only a drawn chart is a stop for the keyboard, with its name and how to use it (else its name would
    // be uPlot's legend); the page without JavaScript has the table alone, and no word of keys.
    holder.tabIndex = 0;
    holder.setAttribute("role", "application");
    holder.setAttribute("aria-label", holder.dataset.labelChart);
    holder.setAttribute("aria-describedby", holder.id + "-help");
    document.querySelectorAll("[data-keys-of='" + holder.id + "']").forEach(function (hint) { hint.hidden = false; });
    holder.dataset.ready = String(data.length);
    return plot;
  }
})();
