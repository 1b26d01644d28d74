// The policy editor: show the timing fields of the kind chosen (after the work, or a batch) and
// the sampling section only for a batch. Without JavaScript every field stays visible and the
// server ignores the ones that do not apply.
(function () {
  var kind = document.getElementById("id_timing_kind");
  if (!kind) return;
  var AFTER = ["earliest", "latest"];
  var BATCH = ["batch_every", "batch_day", "batch_weekday", "batch_latest"];
  function field(name) { return document.querySelector('[data-field="' + name + '"]'); }
  function show(names, on) {
    names.forEach(function (name) { var el = field(name); if (el) el.hidden = !on; });
  }
  function update() {
    show(AFTER, kind.value === "after_event");
    show(BATCH, kind.value === "batch");
    var sampling = document.querySelector('[data-section="5"]');
    if (sampling) sampling.hidden = kind.value !== "batch";
  }
  kind.addEventListener("change", update);
  update();
})();
