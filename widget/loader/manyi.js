/*! manyi loader (see widget/loader/README.md) */
(function (w, d) {
  'use strict';
  if (w.manyi && w.manyi.loaded) return;
  var me = d.currentScript || d.querySelector('script[src*="manyi.js"][data-site]');
  if (!me) return;
  var site = me.getAttribute('data-site');
  var base = me.src.split(/[?#]/)[0].replace(/[^\/]*$/, '');
  var handlers = {};
  var host = null;
  var glue = null;
  var widget = null;

  function emit(name, detail) {
    var l = handlers[name] || [];
    for (var i = 0; i < l.length; i++) {
      try { l[i](detail); } catch (e) {}
    }
  }

  function enc(k, v) {
    return v == null || v === '' ? '' : '&' + k + '=' + encodeURIComponent(v);
  }

  function fallback(o, h) {
    var r = h.shadowRoot || h, l = o.locale || navigator.language || '';
    var a = d.createElement('a');
    a.href = base + 's/' + encodeURIComponent(o.survey) + '?site=' + encodeURIComponent(site) +
      enc('order', o.orderId) + enc('customer', o.customer) + enc('channel', o.channel) +
      enc('segment', o.segment) + enc('locale', o.locale) + enc('sig', o.sig) + enc('exp', o.exp);
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = /^en/i.test(l) ? 'Take our 30-second survey' :
      /TW|HK|MO|Hant/i.test(l) ? '參與滿意度調查' : '参与满意度调查';
    a.style.cssText = 'display:inline-block;padding:12px 20px;border-radius:8px;background:#1f6feb;' +
      'color:#fff;font:16px/1.4 sans-serif;text-decoration:none';
    while (r.firstChild) r.removeChild(r.firstChild);
    if (!o.target) h.style.cssText = 'position:fixed;left:0;right:0;bottom:16px;text-align:center;z-index:2147483647';
    r.appendChild(a);
  }

  function json(p, b) {
    return fetch(base + p, { method: b ? 'POST' : 'GET', body: b && JSON.stringify(b) })
      .then(function (r) {
        if (!r.ok) throw r.status;
        return r.json();
      });
  }

  function flush() {
    try {
      var s = localStorage, l = [], i = s.length, p = 'manyi:outbox:' + base + 'v1/responses#';
      while (i--) l.push(s.key(i));
      l.forEach(function (k) {
        var b, j, o = !k.indexOf(p);
        if (k.indexOf('manyi:')) return;
        try { j = JSON.parse(b = s.getItem(k)); } catch (e) {}
        if (j && (o || j.site == site) && new Date - new Date((j.timing || j).submitted_at) > 2592e6)
          return s.removeItem(k);
        if (!o && (k.indexOf('manyi:pending:') || j && j.site != site)) return;
        fetch(base + 'v1/responses', { method: 'POST', body: b }).then(function (r) {
          if (r.status < 500 && r.status != 429) s.removeItem(k);
        }, function () {});
      });
    } catch (e) {}
  }

  function load() {
    if (!glue) {
      try {
        var wasm = fetch(base + '__MANYI_WASM__');
        wasm['catch'](function () {});
        glue = Function('u', 'return import(u)')(base + '__MANYI_GLUE__').then(function (m) {
          return m['default']({ module_or_path: wasm }).then(function () {
            return m;
          });
        });
      } catch (e) {
        return Promise.reject(e);
      }
      glue['catch'](function () { glue = null; });
    }
    return glue;
  }

  function show(o) {
    o = o || {};
    if (!o.survey) return;
    hide();
    var t = o.target ? d.querySelector(o.target) : null;
    if (o.target && !t) return;
    var h = host = d.createElement('div'), v, ch = o.channel || 'web';
    // As the widget does (docs/internal-contracts.md)
    if (ch == 'web' && (/micromessenger|miniprogram/i.test(navigator.userAgent) ||
      w.__wxjs_environment == 'miniprogram')) ch = 'wechat';
    h.setAttribute('data-manyi-host', o.survey);
    ['shown', 'started', 'submitted', 'dismissed'].forEach(function (n) {
      h.addEventListener('manyi:' + n, function (e) {
        var r = h.shadowRoot, c = r && r.querySelector('[lang]');
        emit(n, e.detail);
        if (n != 'submitted') navigator.sendBeacon(base + 'v1/events', JSON.stringify({
          site: site, survey: o.survey, event: n, order_id: o.orderId,
          version: v, channel: ch, segment: o.segment, locale: c ? c.lang : o.locale
        }));
      });
    });
    (t || d.body).appendChild(h);
    if (!w.WebAssembly || !h.attachShadow || !w.fetch) return fallback(o, h);
    Promise.all([json('v1/surveys/' + encodeURIComponent(o.survey)), load(), json('v1/eligibility', {
      site: site, survey: o.survey, order_id: o.orderId, customer: o.customer, segment: o.segment,
      event_at: o.eventAt || new Date(), sig: o.sig, exp: o.exp == null ? undefined : +o.exp
    }).then(function (e) {
      if (!e.eligible) throw e;
    })]).then(function (a) {
      if (host !== h) return;
      v = a[0].version;
      (widget = a[1]).mount(h.attachShadow({ mode: 'open' }), JSON.stringify({
        collector: base.replace(/\/$/, ''),
        site: site,
        survey: a[0],
        context: {
          order_id: o.orderId, customer: o.customer, segment: o.segment, locale: o.locale,
          channel: ch,
          page: location.href, exp: o.exp == null ? undefined : +o.exp
        },
        sig: o.sig || null,
        locale: o.locale || null,
        mode: t ? 'inline' : o.mode || null
      }));
    })['catch'](function (e) {
      if (host !== h) return;
      if (e === 404 || e.eligible === false) {
        hide();
        if (e.eligible === false) emit('ineligible', e.reason);
      } else fallback(o, h);
    });
  }

  function hide() {
    if (host && host.parentNode) host.parentNode.removeChild(host);
    host = null;
    if (widget) widget.unmount();
  }

  function api(cmd, a, b) {
    try {
      if (cmd == 'show') {
        if (d.readyState != 'loading') show(a);
        else d.addEventListener('DOMContentLoaded', function () { api(cmd, a); });
      } else if (cmd == 'hide') {
        hide();
      } else if (cmd == 'on' && typeof b == 'function') {
        (handlers[a] = handlers[a] || []).push(b);
      }
    } catch (e) {}
  }

  var q = (w.manyi && w.manyi.q) || [];
  api.loaded = true;
  w.manyi = api;
  for (var i = 0; i < q.length; i++) api.apply(null, q[i]);
  flush();
})(window, document);
