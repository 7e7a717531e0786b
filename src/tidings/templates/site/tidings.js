// tidings: a "copy link" button on every guideline rule (the heading's permalink still works without it).
(function () {
  function addCopyButtons() {
    var marker = document.querySelector(".tidings-guideline");
    if (!marker) return;
    var label = marker.getAttribute("data-copy-label") || "Copy link";
    var done = marker.getAttribute("data-copied-label") || "Link copied";
    document.querySelectorAll(".md-content h2[id]").forEach(function (heading) {
      if (heading.querySelector(".tidings-copy")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tidings-copy";
      button.textContent = label;
      var url = location.origin + location.pathname + "#" + heading.id;
      button.setAttribute("data-url", url);
      button.setAttribute("aria-label", label + ": " + heading.textContent.replace("¶", "").trim());
      button.addEventListener("click", function () {
        var show = function () { button.textContent = done; setTimeout(function () { button.textContent = label; }, 2000); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(url).then(show, function () { window.prompt(label, url); });
        } else {
          window.prompt(label, url);
        }
      });
      heading.appendChild(button);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addCopyButtons);
  else addCopyButtons();
})();
