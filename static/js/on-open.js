/* Parts of the progress page read only when someone opens them: a line's claim history,
   its claim form, its growth goal form. The first time such a <details data-fragment>
   opens, the part is fetched from the link inside it and shown in place of the link; a
   form gets the focus in its first field. Without this script the link opens the part
   as a page of its own. */
(function () {
  "use strict";

  function load(details) {
    var link = details.querySelector("a[data-fragment-link]");
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
        var field = holder.querySelector("form textarea, form input:not([type=hidden])");
        link.replaceWith.apply(link, Array.prototype.slice.call(holder.childNodes));
        if (field) {
          field.focus();
        }
      })
      .catch(function () {
        // The link stays and still works; opening the part again retries.
        details.removeAttribute("data-loading");
      });
  }

  // "toggle" does not bubble: listen while it goes down to the <details>.
  document.addEventListener(
    "toggle",
    function (event) {
      var target = event.target;
      if (target.matches && target.matches("details[data-fragment]")) {
        load(target);
      }
    },
    true
  );
})();
