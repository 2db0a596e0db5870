// Run in the page by tests/test_browser_layout.py: what overlaps in each plotly figure, and
// which output or widget box is clipped, in the notebook shown (hidden tabs are left out).
(tolerance) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)') || document;
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    }
    return true;
  };
  const cellOf = (el) => {
    const cell = el.closest('.jp-CodeCell, .jp-Cell');
    if (!cell) return {cell: -1, source: ''};
    const cells = Array.from(panel.querySelectorAll('.jp-Cell'));
    const editor = cell.querySelector('.jp-InputArea-editor');
    return {cell: cells.indexOf(cell),
            source: (editor ? editor.textContent : '').trim().slice(0, 50)};
  };
  const label = (el, kind) => {
    const r = el.getBoundingClientRect();
    return {kind, text: (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60),
            l: r.left, t: r.top, r: r.right, b: r.bottom};
  };
  const SELECTORS = [
    ['annotation', 'g.annotation'],
    ['tick label', '.xaxislayer-above text, .yaxislayer-above text'],
    ['title', '.infolayer > g[class^="g-"][class$="title"] text'],
    ['legend', '.infolayer g.legend'],
    ['button', '.updatemenu-container g.updatemenu-button, .updatemenu-container g.updatemenu-header'],
  ];
  const overlaps = [], empty = [];
  panel.querySelectorAll('.js-plotly-plot').forEach((gd, figure) => {
    const labels = [];
    for (const [kind, selector] of SELECTORS) {
      gd.querySelectorAll(selector).forEach((el) => {
        if (shown(el) && (kind !== 'tick label' || (el.textContent || '').trim())) {
          labels.push(label(el, kind));
        }
      });
    }
    const lay = gd.layout || {};
    const title = lay.title ? (lay.title.text || lay.title) : '';
    if (!title && !gd.querySelector('.cartesianlayer .trace, .heatmaplayer image, .pielayer .trace')) {
      empty.push({figure, ...cellOf(gd)});  // axes without a title or anything drawn
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i], b = labels[j];
        const dx = Math.min(a.r, b.r) - Math.max(a.l, b.l);
        const dy = Math.min(a.b, b.b) - Math.max(a.t, b.t);
        if (dx > tolerance && dy > tolerance) {
          overlaps.push({figure, title: String(title).slice(0, 60), ...cellOf(gd),
                         a, b, dx, dy});
        }
      }
    }
  });
  const clipped = [];
  const BOXES = [
    ['output', '.jp-OutputArea-output'],
    // (a slider's handle at its end overhangs the slider by design: boxes, not controls)
    ['widget', '.widget-box, .widget-gridbox, .widget-html-content, .widget-html'],
  ];
  for (const [what, selector] of BOXES) {
    panel.querySelectorAll(selector).forEach((el) => {
      if (shown(el) && el.scrollWidth > el.clientWidth + 1) {
        // the widest thing inside: what does not fit
        let widest = el, right = -Infinity;
        el.querySelectorAll('*').forEach((c) => {
          const r = c.getBoundingClientRect();
          if (r.width > 0 && r.right > right) { right = r.right; widest = c; }
        });
        const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
        clipped.push({what, ...cellOf(el), scroll: el.scrollWidth, client: el.clientWidth,
                      box: String(el.className).trim().split(/\s+/).slice(-3).join(' '),
                      inside: (widest.tagName || '').toLowerCase() + '.'
                              + String(widest.className.baseVal ?? widest.className)
                                  .trim().split(/\s+/).slice(0, 3).join('.'),
                      table: !!el.querySelector('table.dataframe') && scrolls});
      }
    });
  }
  return {overlaps, clipped, empty};
}
