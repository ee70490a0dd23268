/* The choices page of the privacy center: after the cookie banner, opened from this page, has
   stored a new choice, show the page again so it reads the choice the server now holds. The
   banner announces a stored choice with the event "waarborg:consent". */
(function () {
  "use strict";
  var asked = false;
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-wb-settings]")) asked = true;
  });
  document.addEventListener("waarborg:consent", function () {
    if (!asked) return;
    asked = false;
    var url = new URL(location.href);
    url.searchParams.delete("done"); // the notice of an earlier change is not news any more
    url.searchParams.delete("purpose");
    url.searchParams.set("cookies", String(Date.now()));
    url.hash = "cookies-h";
    location.replace(url.toString());
  });
  if (new URLSearchParams(location.search).has("cookies")) {
    var heading = document.getElementById("cookies-h");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }
})();
