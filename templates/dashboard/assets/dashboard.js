/* global Chart, document */
// Draws every chart on a dashboard page from the configuration the server put beside its canvas in a
// <script type="application/json"> block (data, not code, so CSP script-src 'self' holds). The
// tables beside the charts carry the same numbers; without this script the page is still complete.
'use strict';
(function drawCharts() {
  if (typeof Chart === 'undefined') return;
  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var source = document.getElementById('chart-data-' + canvas.getAttribute('data-chart'));
    if (!source) return;
    new Chart(canvas, JSON.parse(source.textContent));
  });
})();
