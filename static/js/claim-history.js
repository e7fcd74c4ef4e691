/* A claim's history is read only when someone opens it: the first time a history
   <details> opens, its list is fetched from the link inside it and shown in place of
   the link. Without this script the link opens the history as a page of its own. */
(function () {
  "use strict";

  function load(details) {
    var link = details.querySelector("a[data-history-link]");
    if (!details.open || !link || details.getAttribute("data-loading")) {
      return;
    }
    details.setAttribute("data-loading", "1");
    fetch(link.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // The server's own escaped HTML, from this site (the CSP allows nothing else).
        var holder = document.createElement("div");
        holder.innerHTML = html;
        link.replaceWith.apply(link, Array.prototype.slice.call(holder.childNodes));
      })
      .catch(function () {
        // The link stays and still works; opening the history again retries.
        details.removeAttribute("data-loading");
      });
  }

  // "toggle" does not bubble: listen while it goes down to the <details>.
  document.addEventListener(
    "toggle",
    function (event) {
      var target = event.target;
      if (target.matches && target.matches("details[data-history]")) {
        load(target);
      }
    },
    true
  );
})();
