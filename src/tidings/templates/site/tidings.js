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
      // Percent-encoded like the sitemap and feeds: a Greek or Chinese rule id survives any chat app.
      var url = location.origin + location.pathname + "#" + encodeURIComponent(heading.id);
      button.setAttribute("data-url", url);
      button.setAttribute("aria-label", label + ": " + heading.textContent.replace("¶", "").trim());
      // The title in a box of its own, so the heading can lay title and button out as one row.
      var title = document.createElement("span");
      title.className = "tidings-rule-title";
      while (heading.firstChild) title.appendChild(heading.firstChild);
      heading.appendChild(title);
      heading.classList.add("tidings-rule");
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

// Material's search dialog has no accessible name: give it the search field's own label.
(function () {
  function nameSearchDialog() {
    var dialog = document.querySelector(".md-search[role='dialog']");
    var field = document.querySelector(".md-search__input");
    if (!dialog || dialog.hasAttribute("aria-label") || dialog.hasAttribute("aria-labelledby")) return;
    var name = field && (field.getAttribute("aria-label") || field.getAttribute("placeholder"));
    dialog.setAttribute("aria-label", name || "Search");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", nameSearchDialog);
  else nameSearchDialog();
})();
