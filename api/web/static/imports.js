// The upload's progress: the same form sent by XMLHttpRequest so the browser reports the bytes
// sent, then the server's answer (the per-row report) shown in place of the page. Without
// JavaScript the form posts as usual.
(function () {
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById("upload-progress");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    bar.hidden = false;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    request.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate while the rows are checked and filed
      document.getElementById("upload-status").textContent = bar.dataset.checking;
    });
    request.addEventListener("load", function () {
      var answer = new DOMParser().parseFromString(request.responseText, "text/html");
      document.replaceChild(document.adoptNode(answer.documentElement), document.documentElement);
    });
    request.addEventListener("error", function () { form.submit(); });
    form.querySelector("button[type=submit]").disabled = true;
    request.send(new FormData(form));
  });
})();
