// Redoc under the pages' Content-Security-Policy (SPEC §16.27, style-src
// 'self', no 'unsafe-inline').  Redoc styles itself with styled-components,
// which creates <style> elements and fills them with CSSOM insertRule; CSP
// refuses every inline <style> element (even an empty one), its .sheet stays
// null and Redoc stops with styled-components error 17.  Rules added through
// the CSSOM are not inline styles, so this shim hands styled-components a
// constructed stylesheet adopted by the document, on an element that is not
// a <style> (nothing for CSP to refuse).  And Redoc's sidebar shows a logo
// from cdn.redoc.ly, which img-src 'self' refuses (a reported violation):
// its source becomes an empty data: URL, which fails to decode, and Redoc
// hides the logo, as it does when the logo cannot load.  Last, Redoc starts
// its search worker from a blob: URL, which script-src 'self' (the fallback
// of worker-src) refuses: the same worker, written to redoc-search.worker.js
// by `make docs` (scripts/redoc-worker), is started from there instead.
// Loaded before redoc.standalone.js.
(function () {
  'use strict';
  var create = Document.prototype.createElement;
  Document.prototype.createElement = function (name, opts) {
    if (String(name).toLowerCase() !== 'style') return create.call(this, name, opts);
    var el = create.call(this, 'rop-style', opts);
    var sheet = new CSSStyleSheet();
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
    Object.defineProperty(el, 'sheet', { value: sheet });
    return el;
  };
  var foreign = function (v) {
    v = String(v);
    return /^https?:\/\//.test(v) && v.indexOf(location.origin + '/') !== 0;
  };
  var setAttr = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === 'src' &&
        foreign(value)) value = 'data:,';
    return setAttr.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    configurable: true, enumerable: src.enumerable, get: src.get,
    set: function (v) { src.set.call(this, foreign(v) ? 'data:,' : v); },
  });
  var NativeWorker = window.Worker;
  if (NativeWorker) {
    var W = function (url, opts) {
      if (/^blob:/.test(String(url))) url = '/docs/redoc-search.worker.js';
      return new NativeWorker(url, opts);
    };
    W.prototype = NativeWorker.prototype;
    window.Worker = W;
  }
})();
