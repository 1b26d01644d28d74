/* The agent's workbench: keyboard shortcuts, the call timer and the on-site signature pad.
 * Plain JavaScript, no build step. Every feature is opt-in by a data attribute in the templates:
 *   [data-shortcut="n"]   pressing that key (outside a text field) clicks the element;
 *   [data-call-timer]      counts the time since the page opened and fills #id_duration when the
 *                          form is sent by a [data-timed] button (a conversation);
 *   [data-signature-pad]   a canvas the customer signs on; its PNG goes into #id_signature.
 */
(function () {
  "use strict";

  // ---- keyboard shortcuts ------------------------------------------------------------------------
  const TYPING = new Set(["text", "number", "search", "email", "tel", "url", "password", "datetime-local", "date", "time"]);

  function isTyping(element) {
    if (!element) return false;
    if (element.isContentEditable) return true;
    const tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && TYPING.has((element.getAttribute("type") || "text").toLowerCase());
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (event.key === "Escape" && isTyping(event.target)) {
      event.target.blur(); // leave a text field so that the shortcuts work again
      return;
    }
    if (isTyping(event.target) || !event.key || event.key.length !== 1) return;
    const key = event.key.toLowerCase();
    const target = document.querySelector('[data-shortcut="' + CSS.escape(key) + '"]');
    if (!target || target.disabled) return;
    event.preventDefault();
    if (target.matches("input[type=datetime-local], input[type=text], textarea")) {
      target.focus();
    } else {
      target.click();
    }
  });

  // One press is one request: a second click while the first submit is on its way does nothing.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
  });

  // ---- the call timer ----------------------------------------------------------------------------
  function pad(number) {
    return String(number).padStart(2, "0");
  }

  document.querySelectorAll("[data-call-timer]").forEach(function (timer) {
    const started = Date.now();
    const show = function () {
      const seconds = Math.floor((Date.now() - started) / 1000);
      timer.textContent = pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
    };
    show();
    window.setInterval(show, 1000);
    const form = timer.closest("form");
    if (!form) return;
    // Only a conversation has a duration: "no answer" and the like leave the field empty.
    form.addEventListener("submit", function (event) {
      const duration = form.querySelector("#id_duration");
      const timed = event.submitter && event.submitter.hasAttribute("data-timed");
      if (duration && !duration.value && timed) {
        duration.value = String(Math.floor((Date.now() - started) / 1000));
      }
    });
  });

  // ---- the signature pad (on-site visits, R5.6) --------------------------------------------------
  document.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
    const form = canvas.closest("form");
    const field = form ? form.querySelector("#id_signature") : null;
    const context = canvas.getContext("2d");
    let drawing = false;
    let signed = false;

    function fit() {
      // Draw at the screen's resolution so that a finger's line is not blurred.
      const ratio = window.devicePixelRatio || 1;
      const box = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(box.width * ratio));
      canvas.height = Math.max(1, Math.round(box.height * ratio));
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.2;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
      signed = false;
      if (field) field.value = "";
    }

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      const p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      signed = true;
      event.preventDefault();
    });
    const stop = function () {
      drawing = false;
    };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    const clear = form ? form.querySelector("[data-signature-clear]") : null;
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        fit();
      });
    }
    if (form && field) {
      form.addEventListener("submit", function () {
        field.value = signed ? canvas.toDataURL("image/png") : "";
      });
    }
    fit();
  });
})();
