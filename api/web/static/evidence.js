// The citation form's evidence hash, made in this browser: the chosen file is hashed with the browser's
// own SHA-256 (SubtleCrypto) and only the hash is sent; the file input is left out of the submission.
// Without this script (or where SubtleCrypto is missing: not https, not localhost) the form posts the
// file and the server hashes it as it arrives, keeping nothing of it (api/web/evidence.py).
(function () {
  var form = document.getElementById("citation-form");
  var file = document.getElementById("f-document");
  var field = document.getElementById("f-sha256");
  var status = document.getElementById("document-status");
  if (!form || !file || !field) return;
  var ar = document.documentElement.lang === "ar";
  var words = {
    hashing: ar ? "يجري حساب البصمة في هذا المتصفح…" : "Hashing in this browser…",
    done: ar ? "حُسبت البصمة في هذا المتصفح؛ لن يُرسل الملف." : "Hashed in this browser; the file will not be sent.",
    cannot: ar ? "لا يستطيع هذا المتصفح حساب البصمة هنا (يلزم https أو localhost): سيُرسل الملف ويحسبها الخادم."
               : "This browser cannot hash here (it needs https or localhost): the file will be sent and hashed by the server.",
  };
  var hashedFrom = null;  // the file whose hash fills the field
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  file.addEventListener("change", function () {
    var chosen = file.files && file.files[0];
    hashedFrom = null;
    if (!chosen) { status.textContent = ""; return; }
    if (!(window.crypto && crypto.subtle)) { status.textContent = words.cannot; return; }
    status.textContent = words.hashing;
    form.setAttribute("aria-busy", "true");
    chosen.arrayBuffer().then(function (bytes) {
      return crypto.subtle.digest("SHA-256", bytes);
    }).then(function (digest) {
      if (file.files[0] !== chosen) return;  // another file was chosen meanwhile
      field.value = hex(digest);
      hashedFrom = chosen;
      status.textContent = words.done;
    }).catch(function () {
      status.textContent = words.cannot;
    }).then(function () { form.removeAttribute("aria-busy"); });
  });
  form.addEventListener("submit", function () {
    // A disabled input is not submitted: the hash goes, the file stays here.
    if (hashedFrom && file.files[0] === hashedFrom) file.disabled = true;
  });
  window.addEventListener("pageshow", function () { file.disabled = false; });
})();
