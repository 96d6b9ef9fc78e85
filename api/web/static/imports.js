// The upload's progress: the same form sent by XMLHttpRequest so the browser reports the bytes
// sent, then the server's progress lines (NDJSON: rows checked, rows filed of how many) as they
// come, then its last line's page (the per-row report) shown in place of this one. Without
// JavaScript the form posts as usual and the answer is that same page.
(function () {
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById("upload-progress"), status = document.getElementById("upload-status");
  var says = bar.dataset;

  function show(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    document.replaceChild(document.adoptNode(answer.documentElement), document.documentElement);
  }

  function fill(words, line) {
    return words.replace(/\{(\w+)\}/g, function (_, name) {
      return name in line ? Number(line[name]).toLocaleString(document.documentElement.lang) : "";
    });
  }

  function told(line) {
    if (line.stage === "checking") {
      bar.removeAttribute("value");
      status.textContent = fill(says.checked, line);
    } else if (line.stage === "recording") {
      bar.max = Math.max(line.rows, 1);
      bar.value = line.filed;
      status.textContent = fill(says.filing, line);
    }
    status.dataset.stage = line.stage;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest(), read = 0, last = null;
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/x-ndjson, text/html;q=0.9");
    bar.hidden = false;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    request.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate until the server says how far it has got
      status.textContent = says.checking;
    });
    function lines() {
      if ((request.getResponseHeader("Content-Type") || "").indexOf("application/x-ndjson") !== 0) return;
      var text = request.responseText, end;
      while ((end = text.indexOf("\n", read)) >= 0) {
        var line = JSON.parse(text.slice(read, end));
        read = end + 1;
        if (line.stage === "done") last = line; else told(line);
      }
    }
    request.addEventListener("progress", lines);
    request.addEventListener("load", function () {
      lines();
      if (last) show(last.html);
      else if ((request.getResponseHeader("Content-Type") || "").indexOf("application/x-ndjson") !== 0) {
        show(request.responseText);  // refused before the import began (CSRF, role, no file): its page
      } else form.submit();  // the stream broke off: the plain form (imports resume where they stopped)
    });
    request.addEventListener("error", function () { form.submit(); });
    form.querySelector("button[type=submit]").disabled = true;
    request.send(new FormData(form));
  });
})();
