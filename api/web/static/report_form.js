// The report form's rows and breakdown pairs added and removed in the page. Without JavaScript the
// same "add" buttons post the form, which comes back with everything typed kept and one more row or
// pair (api/web/report_rows.py), and a row or pair left blank is left out. Field names carry the
// row's and the pair's number (figures[2].breakdown[1].part); a removed one leaves a gap in them,
// which the server skips, so nothing is renumbered but the legends a person reads.
(function () {
  var rows = document.getElementById("rows");
  if (!rows) return;
  var says = rows.dataset;

  function words(template, n) { return template.replace("{n}", String(n)); }

  function highest(nodes, attr) {
    var top = -1;
    nodes.forEach(function (node) { top = Math.max(top, Number(node.getAttribute(attr))); });
    return top;
  }

  // Every attribute that names a field gets the new number in place of the old (`from` is "figures[2]"
  // or "breakdown[1]"); errors shown for the old one go.
  function renumber(node, from, to) {
    node.querySelectorAll(".error").forEach(function (e) { e.remove(); });
    node.querySelectorAll("[name], [id], label[for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v && v.indexOf(from) !== -1) el.setAttribute(a, v.split(from).join(to));
      });
      el.removeAttribute("aria-describedby");
      el.removeAttribute("aria-invalid");
    });
  }

  function clear(node) {
    node.querySelectorAll("input").forEach(function (el) {
      if (el.type === "checkbox") el.checked = false; else el.value = "";
    });
    node.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
  }

  function legends() {
    rows.querySelectorAll("fieldset.row").forEach(function (row, i) {
      row.querySelector(":scope > legend").textContent = words(says.rowLegend, i + 1);
      row.querySelector(".add-pair").textContent = words(says.addPair, i + 1);
      row.querySelectorAll("fieldset.pair").forEach(function (pair, j) {
        pair.querySelector("legend").textContent = words(says.pairLegend, j + 1);
      });
    });
  }

  function removeButton(label, onRemove) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "remove";
    button.textContent = label;
    button.addEventListener("click", onRemove);
    return button;
  }

  function equipPair(pair) {
    pair.appendChild(removeButton(says.removePair, function () {
      var row = pair.closest("fieldset.row"), list = pair.parentNode;
      if (list.querySelectorAll("fieldset.pair").length > 1) pair.remove(); else clear(pair);
      legends();
      row.querySelector(".add-pair").focus();
    }));
  }

  function equipRow(row) {
    row.querySelector(".add-pair").addEventListener("click", function (event) {
      event.preventDefault();
      var list = row.querySelector(".pairs"), pairs = list.querySelectorAll("fieldset.pair");
      var last = pairs[pairs.length - 1], next = highest(pairs, "data-pair") + 1;
      var pair = last.cloneNode(true);
      pair.querySelectorAll("button.remove").forEach(function (b) { b.remove(); });
      renumber(pair, "breakdown[" + last.dataset.pair + "]", "breakdown[" + next + "]");
      pair.dataset.pair = String(next);
      clear(pair);
      list.appendChild(pair);
      equipPair(pair);
      legends();
      pair.querySelector("select").focus();
    });
    row.querySelectorAll("fieldset.pair").forEach(equipPair);
    row.appendChild(removeButton(says.removeRow, function () {
      var all = rows.querySelectorAll("fieldset.row");
      if (all.length > 1) row.remove(); else clear(row);
      legends();
      document.getElementById("add-row").focus();
    }));
  }

  rows.querySelectorAll("fieldset.row").forEach(equipRow);
  document.getElementById("add-row").addEventListener("click", function (event) {
    event.preventDefault();
    var all = rows.querySelectorAll("fieldset.row"), last = all[all.length - 1];
    var next = highest(all, "data-row") + 1;
    var row = last.cloneNode(true);
    row.querySelectorAll("button.remove").forEach(function (b) { b.remove(); });
    var pairs = row.querySelectorAll("fieldset.pair");
    for (var k = 1; k < pairs.length; k++) pairs[k].remove();
    renumber(row, "figures[" + last.dataset.row + "]", "figures[" + next + "]");
    row.dataset.row = String(next);
    row.querySelector(".add-pair").value = String(next);
    clear(row);
    rows.appendChild(row);
    equipRow(row);
    legends();
    row.querySelector("select").focus();
  });
})();
