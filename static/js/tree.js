// "Liste des référents ViaTrajectoire": open a node in place by loading only its children.
// Without this file every "+" is a plain link to the page with that node open.
(function () {
  "use strict";
  var tree = document.getElementById("tree") || document.querySelector(".tree");
  if (!tree || !window.fetch) {
    return;
  }
  var labels = document.getElementById("tree") ? document.getElementById("tree").dataset : {};

  function load(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        return template.content.firstElementChild;
      });
  }

  function setExpanded(toggle, expanded) {
    toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
    toggle.querySelector(".tree__sign").textContent = expanded ? "\u2212" : "+";
    var action = toggle.querySelector(".tree__action");
    if (action && labels.labelExpand) {
      action.textContent = expanded ? labels.labelCollapse : labels.labelExpand;
    }
  }

  function toggleNode(toggle) {
    var targetId = toggle.dataset.target;
    var children = document.getElementById(targetId);
    if (toggle.getAttribute("aria-expanded") === "true") {
      if (children) {
        children.hidden = true;
      }
      setExpanded(toggle, false);
      return;
    }
    if (children) {
      children.hidden = false;
      setExpanded(toggle, true);
      return;
    }
    toggle.setAttribute("aria-busy", "true");
    load(toggle.dataset.childrenUrl)
      .then(function (list) {
        toggle.closest(".tree__node").appendChild(list);
        toggle.setAttribute("aria-controls", targetId);
        setExpanded(toggle, true);
      })
      .catch(function () {
        window.location.href = toggle.href;
      })
      .finally(function () {
        toggle.removeAttribute("aria-busy");
      });
  }

  function changePage(link) {
    var current = document.getElementById(link.dataset.target);
    load(link.dataset.fragmentUrl)
      .then(function (list) {
        current.replaceWith(list);
        var first = list.querySelector("a");
        if (first) {
          first.focus();
        }
      })
      .catch(function () {
        window.location.href = link.href;
      });
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return;
    }
    var toggle = event.target.closest("a.tree__toggle");
    if (toggle && toggle.dataset.childrenUrl) {
      event.preventDefault();
      toggleNode(toggle);
      return;
    }
    var pager = event.target.closest("a[data-fragment-url]");
    if (pager && pager.dataset.fragmentUrl) {
      event.preventDefault();
      changePage(pager);
    }
  });
})();
