// A "copy" button beside each command block (the text stays selectable without JavaScript).
document.querySelectorAll("pre.copy").forEach(function (block) {
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = document.documentElement.lang === "ar" ? "نسخ" : "Copy";
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(block.textContent).then(function () { button.textContent = "✓"; });
  });
  block.insertAdjacentElement("afterend", button);
});
