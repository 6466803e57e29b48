// MathJax settings for pymdownx.arithmatex (generic mode); read before the bundled tex-svg.js.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
    enableMenu: false, // the menu would load extensions from elsewhere
  },
  svg: { fontCache: "global" },
};
