// Marking with the keyboard. The page works without this file (a form: type the points, press
// Enter); with it, keys act on the current criterion while no text box has the focus:
//   0-9    points for the current criterion, then the next one becomes current
//   .      half a point more for the criterion just set
//   Enter  save and go to the next answer awaiting marks
//   j / k  next / previous answer, without saving
//   c      comment on the criterion just given points, or else the current one (Esc leaves
//          the box; Enter there saves too)
//   ↑ / ↓  move between criteria
//   a      take the suggestion for every criterion still empty
(function () {
  "use strict";
  var form = document.getElementById("mark-form");
  if (!form) {
    return;
  }
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-criterion]"));
  var current = 0;
  var lastSet = -1;
  var justSet = false; // the last key gave points: `c` comments on that criterion

  function points(i) {
    return rows[i].querySelector("input.points");
  }

  function select(i) {
    if (!rows.length) {
      return;
    }
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (row, k) {
      row.classList.toggle("current", k === current);
      if (k === current) {
        row.setAttribute("aria-current", "true");
      } else {
        row.removeAttribute("aria-current");
      }
    });
  }

  function set(i, value) {
    var max = Number(rows[i].getAttribute("data-max"));
    if (value > max) {
      return false;
    }
    points(i).value = String(value);
    lastSet = i;
    return true;
  }

  function typing(el) {
    if (!el || el === document.body) {
      return false;
    }
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) {
      return true;
    }
    return tag === "INPUT" && ["checkbox", "radio", "submit", "button", "hidden"].indexOf(el.type) < 0;
  }

  function go(rel) {
    var link = document.querySelector("a[rel=" + rel + "]");
    if (link) {
      window.location.href = link.href;
    }
  }

  var firstEmpty = rows.findIndex(function (row, k) { return points(k).value === ""; });
  select(firstEmpty < 0 ? 0 : firstEmpty);
  rows.forEach(function (row, k) {
    row.addEventListener("focusin", function () { select(k); });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    var el = document.activeElement;
    if (typing(el)) {
      if (event.key === "Escape") {
        el.blur();
        event.preventDefault();
      }
      return; // typing a number or a comment; Enter there submits the form by itself
    }
    var key = event.key;
    var gave = false;
    if (/^[0-9]$/.test(key) && rows.length) {
      gave = true;
      if (set(current, Number(key))) {
        select(current + 1);
      }
    } else if (key === "." && lastSet >= 0) {
      gave = true;
      set(lastSet, Number(points(lastSet).value || 0) + 0.5);
    } else if (key === "Enter") {
      if (el && (el.tagName === "A" || el.tagName === "BUTTON")) {
        return; // a focused link or button does what it says
      }
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    } else if (key === "j") {
      go("next");
    } else if (key === "k") {
      go("prev");
    } else if (key === "c" && rows.length) {
      var target = justSet && lastSet >= 0 ? lastSet : current;
      select(target);
      rows[target].querySelector("input.comment").focus();
    } else if (key === "ArrowDown") {
      select(current + 1);
    } else if (key === "ArrowUp") {
      select(current - 1);
    } else if (key === "a") {
      rows.forEach(function (row, k) {
        var suggested = row.getAttribute("data-suggested");
        if (suggested !== null && points(k).value === "") {
          points(k).value = suggested;
        }
      });
    } else {
      return;
    }
    justSet = gave;
    event.preventDefault();
  });
})();
