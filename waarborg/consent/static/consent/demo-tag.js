/* A test tag of the banner's demonstration page: it stands for a tag that needs consent (a
   statistics or advertising script). Run only after consent for its category, it sets its test
   cookie and says on the page that it ran. */
(function () {
  "use strict";
  var me = document.currentScript;
  var name = me.getAttribute("data-cookie");
  document.cookie = name + "=1; path=/; max-age=86400; SameSite=Lax";
  var out = document.getElementById("status-" + name);
  if (out) {
    out.textContent = out.getAttribute("data-ran");
    out.className = "badge badge-ok";
  }
})();
