/* waarborg cookie banner. No framework, no inline script or style (it runs under a strict
   Content-Security-Policy). Its words and the cookie catalogue come from the server
   (/privacy/cookies/banner.json); the choice is stored there as proof and kept here in the
   functional first-party cookie wb_consent: "id.version.categories.time.gpc".

   <script src=".../static/consent/banner.js" defer></script>
   Optional attributes: data-lang="nl|en" (else the page's lang), data-ask="tags" (ask only on a
   page that holds a tag waiting for consent). A tag that needs consent waits as
   <script type="text/plain" data-wb-category="KEY" data-wb-src="URL"></script> (or with its code
   inside) and runs only after consent for KEY. Any element with data-wb-settings opens the
   settings. Once a choice holds: <html data-wb-consent="KEY KEY"> (for styles) and the event
   "waarborg:consent" on document, with detail.categories. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.waarborgConsent) return;
  var origin = new URL(me.src, location.href).origin;
  var page = me.getAttribute("data-lang") || document.documentElement.lang || "nl";
  var lang = page.slice(0, 2) === "en" ? "en" : "nl";
  var ask = me.getAttribute("data-ask") || "always";
  var TAGS = 'script[type="text/plain"][data-wb-category]';
  var NAME = "wb_consent";
  var cfg = null, box = null, opener = null, padding = "";

  function gpcOn() {
    return navigator.globalPrivacyControl === true || !!(cfg && cfg.gpc);
  }

  function stored() {
    var m = document.cookie.match(/(?:^|;\s*)wb_consent=([^;]*)/);
    var p = m ? m[1].split(".") : [];
    if (p.length !== 5 || !/^[0-9a-f]{32}$/.test(p[0])) return null;
    return { id: p[0], version: p[1], cats: p[2] ? p[2].split("+") : [], at: +p[3], gpc: p[4] === "1" };
  }

  function until(at) {
    var d = new Date(at * 1000);
    d.setMonth(d.getMonth() + cfg.renew_months);
    return d;
  }

  // A choice holds for this banner version and for six months.
  function valid(s) {
    return !!s && s.version === cfg.version && until(s.at) > new Date();
  }

  function keep(s) {
    var value = [s.id, s.version, s.cats.join("+"), s.at, s.gpc ? 1 : 0].join(".");
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = NAME + "=" + value + "; path=/; expires=" + until(s.at).toUTCString() +
      "; SameSite=Lax" + secure;
  }

  // After a refusal or withdrawal: remove the catalogue's cookies of the refused categories
  // that this site could have set (host and parent domains; an IP address has no parents).
  function erase(cats) {
    var name = location.hostname;
    var host = /^[\d.]+$|:/.test(name) ? [name] : name.split(".");
    cfg.categories.forEach(function (c) {
      if (cats.indexOf(c.key) >= 0) return;
      c.cookies.forEach(function (k) {
        for (var i = host.length; i >= 0; i--) {
          var domain = i < host.length - 1 ? "; domain=" + host.slice(i).join(".") : "";
          document.cookie = k.name + "=; path=/; max-age=0" + domain;
        }
      });
    });
  }

  // Run the waiting tags of the consented categories, in page order, each once.
  function run(cats) {
    var tags = document.querySelectorAll(TAGS);
    for (var i = 0; i < tags.length; i++) {
      var t = tags[i];
      if (cats.indexOf(t.getAttribute("data-wb-category")) < 0 || t.hasAttribute("data-wb-done")) continue;
      var s = document.createElement("script");
      for (var j = 0; j < t.attributes.length; j++) {
        var a = t.attributes[j];
        if (a.name !== "type" && a.name.indexOf("data-wb-") !== 0) s.setAttribute(a.name, a.value);
      }
      if (t.getAttribute("data-wb-src")) s.src = t.getAttribute("data-wb-src");
      else s.text = t.text;
      s.async = false;
      t.setAttribute("data-wb-done", "");
      t.parentNode.insertBefore(s, t.nextSibling);
    }
    document.documentElement.setAttribute("data-wb-consent", cats.join(" "));
    document.dispatchEvent(new CustomEvent("waarborg:consent", { detail: { categories: cats.slice() } }));
  }

  function load(fresh, then) {
    fetch(origin + "/privacy/cookies/banner.json?lang=" + lang, { credentials: "omit", cache: fresh ? "reload" : "default" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (c) { cfg = c; then(); })
      .catch(function () { /* no banner: nothing but functional cookies is set */ });
  }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== null) e.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function cookieList(cookies) {
    return el("details", {}, [
      el("summary", {}, [cfg.texts.cookies + " (" + cookies.length + ")"]),
      el("ul", {}, cookies.map(function (k) {
        return el("li", {}, [el("code", {}, [k.name]), ": " + k.purpose + " (" + k.lifetime + ", " + k.party + ")"]);
      }))
    ]);
  }

  // One category with its checkbox; on === null: always on (the functional cookies).
  function category(id, name, description, cookies, on) {
    var input = el("input", { type: "checkbox", id: id, "aria-describedby": id + "-d" });
    input.checked = on !== false;
    input.disabled = on === null;
    return el("div", { "class": "wb-cat" }, [
      el("div", { "class": "wb-check" }, [input, el("label", { "for": id }, [name])]),
      el("p", { id: id + "-d" }, [description]),
      cookieList(cookies)
    ]);
  }

  function button(act, text, kind) {
    return el("button", { type: "button", "class": "wb-btn " + kind, "data-act": act }, [text]);
  }

  function build(current) {
    var t = cfg.texts;
    var cats = el("fieldset", { "class": "wb-cats", id: "wb-cats", hidden: "" }, [
      el("legend", {}, [t.legend]),
      category("wb-always", t.always_name, t.always_description, cfg.always, null)
    ].concat(cfg.categories.map(function (c) {
      return category("wb-cat-" + c.key, c.name, c.description, c.cookies, current.indexOf(c.key) >= 0);
    })));
    var settings = button("settings", t.settings, "wb-alt");
    settings.setAttribute("aria-expanded", "false");
    settings.setAttribute("aria-controls", "wb-cats");
    var save = button("save", t.save, "wb-alt");
    save.hidden = true;
    box = el("section", { "class": "wb-banner", "aria-labelledby": "wb-title", lang: cfg.lang, tabindex: "-1" }, [
      el("div", { "class": "wb-inner" }, [
        el("h2", { id: "wb-title" }, [t.title]),
        el("p", {}, [t.intro + " " + t.more + " ", el("a", { href: cfg.policy_url }, [t.policy])]),
        gpcOn() ? el("p", { "class": "wb-note" }, [t.gpc]) : "",
        cats,
        el("div", { "class": "wb-actions" }, [
          button("accept", t.accept, "wb-main"), button("refuse", t.refuse, "wb-main"), settings, save
        ]),
        el("p", { "class": "wb-error", role: "alert" }, [])
      ])
    ]);
    box.addEventListener("click", act);
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && valid(stored())) close();
    });
    document.body.insertBefore(box, document.body.firstChild);
    padding = document.body.style.paddingBottom;
    fit();
  }

  // The page can still be read to its end above the banner.
  function fit() {
    if (box) document.body.style.paddingBottom = box.offsetHeight + "px";
  }

  function act(e) {
    var b = e.target.closest("button[data-act]");
    if (!b) return;
    var what = b.getAttribute("data-act");
    if (what === "settings") return expand(true);
    if (what === "accept") return choose(cfg.categories.map(function (c) { return c.key; }), "accept");
    if (what === "refuse") return choose([], "refuse");
    var on = [];
    cfg.categories.forEach(function (c) { if (box.querySelector("#wb-cat-" + c.key).checked) on.push(c.key); });
    choose(on, "save");
  }

  // The settings take the place of their button; the first choice gets the focus it had.
  function expand(focus) {
    box.querySelector("#wb-cats").hidden = false;
    box.querySelector('[data-act="settings"]').hidden = true;
    box.querySelector('[data-act="save"]').hidden = false;
    fit();
    var first = box.querySelector(".wb-cats input:not([disabled])") || box.querySelector('[data-act="save"]');
    if (focus) first.focus();
  }

  function show(settings) {
    if (box) close(true);
    var s = stored();
    build(valid(s) ? s.cats : []);
    if (settings) { expand(false); box.focus(); }
  }

  function close(quiet) {
    box.parentNode.removeChild(box);
    box = null;
    document.body.style.paddingBottom = padding;
    if (!quiet && opener) { opener.focus(); opener = null; }
  }

  function choose(cats, method, again) {
    var s = stored();
    var body = { visitor: s ? s.id : "", accepted: cats, version: cfg.version, method: method, gpc: gpcOn(), lang: lang };
    fetch(cfg.choice_url, {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (r) {
      if (r.status === 409 && !again) {
        // The banner changed since it was shown: show the new one (a GPC refusal needs no look).
        return load(true, function () { method === "gpc" ? choose([], "gpc", true) : show(false); });
      }
      if (r.status !== 201) throw new Error(r.status);
      keep({ id: r.body.visitor, version: cfg.version, cats: r.body.accepted, at: Math.floor(Date.now() / 1000), gpc: body.gpc });
      erase(r.body.accepted);
      run(r.body.accepted);
      if (box) close();
    }).catch(function () {
      if (box) { box.querySelector(".wb-error").textContent = cfg.texts.failed; fit(); }
    });
  }

  // The banner's stylesheet sits beside this script.
  function style() {
    if (document.getElementById("wb-style")) return;
    var href = me.src.replace(/\.js(\?.*)?$/, ".css");
    document.head.appendChild(el("link", { rel: "stylesheet", href: href, id: "wb-style" }));
  }

  function open(e) {
    if (e) { e.preventDefault(); opener = e.currentTarget; }
    style();
    if (cfg) show(true); else load(false, function () { show(true); });
  }

  function start() {
    var links = document.querySelectorAll("[data-wb-settings]");
    for (var i = 0; i < links.length; i++) links[i].addEventListener("click", open);
    window.addEventListener("resize", fit);
    if (ask === "tags" && !document.querySelector(TAGS)) return;
    style();
    load(false, function () {
      var s = stored();
      // A choice made before the browser sent GPC, that accepted something, gives way to it.
      if (valid(s) && !(gpcOn() && s.cats.length && !s.gpc)) return run(s.cats);
      if (!cfg.categories.length) return run([]);
      if (gpcOn()) return choose([], "gpc");
      show(false);
    });
  }

  window.waarborgConsent = {
    open: function () { open(null); },
    categories: function () { var s = stored(); return cfg && valid(s) ? s.cats.slice() : []; }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
