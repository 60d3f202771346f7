/* manyi admin UI: login, template gallery, survey editor with version
 * history, live preview, embed code, sites and admin tokens. Talks to /api/* with the token kept in sessionStorage.
 * See collector/src/http/admin_ui.rs for the design notes. */
(function () {
  'use strict';

  // The token and the API call are shared with the dashboard (session.js).
  var session = window.manyiSession;
  var token = session.token;
  var ApiError = session.ApiError;
  var LANG_KEY = 'manyi:admin-lang';
  var LOCALES = ['zh-CN', 'zh-TW', 'en'];

  var T = {
    'zh-CN': {
      skip: '跳到正文', admin: '管理', language: '语言', logout: '退出',
      login_title: '登录', token_label: '管理令牌', login: '登录',
      token_help: '由 `cargo xtask serve` 或 `manyi admin-token create` 打印。只保存在本标签页。',
      token_missing: '请粘贴管理令牌。', token_rejected: '令牌无效或已撤销，请重新登录。',
      session_expired: '登录已失效，请重新登录。',
      surveys_title: '问卷', no_surveys: '还没有问卷：从下面的模板开始。',
      templates_title: '从模板开始', use_template: '使用此模板', edit: '编辑',
      minutes: '约 {n} 秒', questions_n: '{n} 个问题',
      back: '← 全部问卷和模板', new_from: '新问卷：{name}', editing: '编辑问卷 {id}',
      errors_title: '请修正以下问题', basics: '基本设置', survey_id: '问卷 ID',
      survey_id_help: '小写字母、数字、- 和 _。用于嵌入代码，创建后不可更改。',
      site: '站点', locales: '语言', default_locale: '默认语言', brand_color: '品牌色',
      brand_color_help: '#rrggbb，例如 #1f6feb', color_picker: '取色器', display_mode: '显示方式',
      mode_auto: '自动（手机底部弹出，桌面居中对话框）', mode_inline: '嵌入页面内',
      mode_bottom_sheet: '底部弹出', mode_modal: '居中对话框',
      questions: '问题', audience: '调查对象',
      sampling: '按客户分群抽样（被调查比例，0–1）', add_segment: '添加分群', segment: '分群',
      rate: '比例', remove: '删除', recontact_days: '同一客户再次调查的间隔天数',
      threshold: '低分追问阈值：不高于此分数时追问原因（{lo}–{hi}）',
      text_in: '题目文字（{loc}）',
      create: '创建草稿', save: '保存', publish: '发布', pause: '暂停',
      created: '草稿已创建。', saved: '已保存。', published: '已发布。', paused: '已暂停。',
      state: '版本 {v} · {status}', state_pub: '（线上版本：{p}）',
      status_draft: '草稿', status_published: '已发布', status_paused: '已暂停',
      preview: '预览', preview_locale: '预览语言',
      preview_help: '真实的问卷组件，使用上面的设置（包括草稿）。在这里作答不会被保存。',
      preview_unavailable: '无法加载预览：{e}',
      code: '获取代码', code_tag: '1. 每个页面一次，放在 </body> 之前：',
      code_show: '2. 支付完成（或工单关闭）后调用：',
      code_sign: '3. 如果站点要求签名：在服务器端用站点密钥对 site|survey|order|customer|exp 做 HMAC-SHA256（见 docs/signing.md），并传入 sig 和 exp：',
      required_field: '必填。', unexpected: '请求失败：{e}', unknown_problem: '{path}：{msg}',
      edit_site: '编辑站点 {key}', save_site: '保存站点', cancel: '取消', site_rotate: '生成新的签名密钥（旧密钥生成的签名立即失效）', site_updated: '站点 {key} 已更新。',
      sites_title: '站点', add_site: '添加站点', site_key: '站点 key', site_name: '名称',
      sites_help: '站点是嵌入问卷的网站或 H5：key 写在脚本标签里，允许的来源可以提交答卷，密钥在您的服务器上为订单和客户签名。',
      site_key_help: '小写字母、数字、- 和 _，例如 shop-cn。用作 data-site="…"，创建后不可更改。',
      site_origins: '允许的来源（每行一个）',
      site_origins_help: '嵌入问卷的页面来源，例如 https://shop.example 或 http://localhost:3000（不含路径）；* 表示任意来源。留空：只允许本服务自己的页面。',
      site_require: '要求对订单和客户签名（答卷会触发跟进工单时建议开启）', create_site: '创建站点',
      secret_title: '签名密钥（只显示这一次）：', secret_help: '请保存在您的服务器上（不要放进页面）。之后无法再次查看。',
      site_created: '站点 {key} 已创建。', origins_none: '仅本服务页面', signatures_required: '需要签名',
      signatures_optional: '签名可选', tokens_title: '管理令牌', add_token: '新建令牌', token_name: '用途',
      create_token: '创建令牌', token_secret_title: '新令牌（只显示这一次）：', token_created: '令牌“{name}”已创建。',
      this_session: '当前会话', never_used: '从未使用', last_used: '最近使用 {t}', created_at: '创建于 {t}',
      revoke: '撤销', revoke_confirm: '确认撤销“{name}”', revoked: '令牌“{name}”已撤销。',
      own_token_revoked: '您撤销了当前会话的令牌，请用其他令牌登录。',
      history: '版本', history_help: '已发布的版本不会再改变：编辑会生成下一个版本。答卷始终记在所回答的版本下。',
      col_version: '版本', col_state: '状态', col_responses: '答卷', col_created: '创建时间',
      state_live: '线上', state_replaced: '已被版本 {v} 取代', state_superseded: '已被版本 {v} 取代（仍接受已打开问卷的答卷）',
      code_sig: '// 站点要求签名：sig 和 exp 由您的服务器生成（见第 3 步）',
      code_sig_optional: '// 如果站点要求签名，再传入 sig 和 exp（见第 3 步）'
    },
    'zh-TW': {
      skip: '跳到正文', admin: '管理', language: '語言', logout: '登出',
      login_title: '登入', token_label: '管理權杖', login: '登入',
      token_help: '由 `cargo xtask serve` 或 `manyi admin-token create` 印出。只保存在此分頁。',
      token_missing: '請貼上管理權杖。', token_rejected: '權杖無效或已撤銷，請重新登入。',
      session_expired: '登入已失效，請重新登入。',
      surveys_title: '問卷', no_surveys: '還沒有問卷：從下面的範本開始。',
      templates_title: '從範本開始', use_template: '使用此範本', edit: '編輯',
      minutes: '約 {n} 秒', questions_n: '{n} 個問題',
      back: '← 全部問卷和範本', new_from: '新問卷：{name}', editing: '編輯問卷 {id}',
      errors_title: '請修正以下問題', basics: '基本設定', survey_id: '問卷 ID',
      survey_id_help: '小寫字母、數字、- 和 _。用於嵌入程式碼，建立後不可變更。',
      site: '網站', locales: '語言', default_locale: '預設語言', brand_color: '品牌色',
      brand_color_help: '#rrggbb，例如 #1f6feb', color_picker: '取色器', display_mode: '顯示方式',
      mode_auto: '自動（手機底部彈出，桌面置中對話框）', mode_inline: '嵌入頁面內',
      mode_bottom_sheet: '底部彈出', mode_modal: '置中對話框',
      questions: '問題', audience: '調查對象',
      sampling: '依客戶分群抽樣（受訪比例，0–1）', add_segment: '新增分群', segment: '分群',
      rate: '比例', remove: '刪除', recontact_days: '同一客戶再次調查的間隔天數',
      threshold: '低分追問門檻：不高於此分數時追問原因（{lo}–{hi}）',
      text_in: '題目文字（{loc}）',
      create: '建立草稿', save: '儲存', publish: '發布', pause: '暫停',
      created: '草稿已建立。', saved: '已儲存。', published: '已發布。', paused: '已暫停。',
      state: '版本 {v} · {status}', state_pub: '（線上版本：{p}）',
      status_draft: '草稿', status_published: '已發布', status_paused: '已暫停',
      preview: '預覽', preview_locale: '預覽語言',
      preview_help: '真實的問卷元件，使用上面的設定（包括草稿）。在這裡作答不會被儲存。',
      preview_unavailable: '無法載入預覽：{e}',
      code: '取得程式碼', code_tag: '1. 每個頁面一次，放在 </body> 之前：',
      code_show: '2. 付款完成（或工單關閉）後呼叫：',
      code_sign: '3. 如果網站要求簽章：在伺服器端用網站密鑰對 site|survey|order|customer|exp 做 HMAC-SHA256（見 docs/signing.md），並傳入 sig 和 exp：',
      required_field: '必填。', unexpected: '請求失敗：{e}', unknown_problem: '{path}：{msg}',
      edit_site: '編輯網站 {key}', save_site: '儲存網站', cancel: '取消', site_rotate: '產生新的簽章密鑰（舊密鑰產生的簽章立即失效）', site_updated: '網站 {key} 已更新。',
      sites_title: '網站', add_site: '新增網站', site_key: '網站 key', site_name: '名稱',
      sites_help: '網站是嵌入問卷的網頁或 H5：key 寫在指令碼標籤裡，允許的來源可以提交答卷，密鑰在您的伺服器上為訂單和客戶簽章。',
      site_key_help: '小寫字母、數字、- 和 _，例如 shop-tw。用作 data-site="…"，建立後不可變更。',
      site_origins: '允許的來源（每行一個）',
      site_origins_help: '嵌入問卷的頁面來源，例如 https://shop.example 或 http://localhost:3000（不含路徑）；* 表示任意來源。留空：只允許本服務自己的頁面。',
      site_require: '要求對訂單和客戶簽章（答卷會觸發追蹤案件時建議開啟）', create_site: '建立網站',
      secret_title: '簽章密鑰（只顯示這一次）：', secret_help: '請保存在您的伺服器上（不要放進頁面）。之後無法再次查看。',
      site_created: '網站 {key} 已建立。', origins_none: '僅本服務頁面', signatures_required: '需要簽章',
      signatures_optional: '簽章可選', tokens_title: '管理權杖', add_token: '新增權杖', token_name: '用途',
      create_token: '建立權杖', token_secret_title: '新權杖（只顯示這一次）：', token_created: '權杖「{name}」已建立。',
      this_session: '目前工作階段', never_used: '從未使用', last_used: '最近使用 {t}', created_at: '建立於 {t}',
      revoke: '撤銷', revoke_confirm: '確認撤銷「{name}」', revoked: '權杖「{name}」已撤銷。',
      own_token_revoked: '您撤銷了目前工作階段的權杖，請用其他權杖登入。',
      history: '版本', history_help: '已發布的版本不會再改變：編輯會產生下一個版本。答卷一律記在所回答的版本下。',
      col_version: '版本', col_state: '狀態', col_responses: '答卷', col_created: '建立時間',
      state_live: '線上', state_replaced: '已被版本 {v} 取代', state_superseded: '已被版本 {v} 取代（仍接受已開啟問卷的答卷）',
      code_sig: '// 網站要求簽章：sig 和 exp 由您的伺服器產生（見第 3 步）',
      code_sig_optional: '// 如果網站要求簽章，再傳入 sig 和 exp（見第 3 步）'
    },
    en: {
      skip: 'Skip to content', admin: 'admin', language: 'Language', logout: 'Log out',
      login_title: 'Log in', token_label: 'Admin token', login: 'Log in',
      token_help: 'Printed by `cargo xtask serve` or `manyi admin-token create`. Kept in this tab only.',
      token_missing: 'Paste an admin token.', token_rejected: 'This token is not valid (unknown or revoked). Log in again.',
      session_expired: 'Your session has expired: log in again.',
      surveys_title: 'Surveys', no_surveys: 'No surveys yet: start from a template below.',
      templates_title: 'Start from a template', use_template: 'Use this template', edit: 'Edit',
      minutes: 'about {n} s', questions_n: '{n} questions',
      back: '← All surveys and templates', new_from: 'New survey: {name}', editing: 'Survey {id}',
      errors_title: 'Please fix these problems', basics: 'Basics', survey_id: 'Survey id',
      survey_id_help: 'Lower-case letters, digits, - and _. Used in the embed code; cannot change later.',
      site: 'Site', locales: 'Languages', default_locale: 'Default language', brand_color: 'Brand colour',
      brand_color_help: '#rrggbb, e.g. #1f6feb', color_picker: 'Colour picker', display_mode: 'Display mode',
      mode_auto: 'Automatic (sheet on phones, dialog on desktop)', mode_inline: 'Inline, inside the page',
      mode_bottom_sheet: 'Bottom sheet', mode_modal: 'Centred dialog',
      questions: 'Questions', audience: 'Who is asked',
      sampling: 'Sampling by customer segment (share asked, 0–1)', add_segment: 'Add a segment', segment: 'Segment',
      rate: 'Rate', remove: 'Remove', recontact_days: 'Days before asking the same customer again',
      threshold: 'Low-score threshold: ask for reasons at this score or below ({lo}–{hi})',
      text_in: 'Question text ({loc})',
      create: 'Create draft', save: 'Save', publish: 'Publish', pause: 'Pause',
      created: 'Draft created.', saved: 'Saved.', published: 'Published.', paused: 'Paused.',
      state: 'Version {v} · {status}', state_pub: ' (live: version {p})',
      status_draft: 'draft', status_published: 'published', status_paused: 'paused',
      preview: 'Preview', preview_locale: 'Preview language',
      preview_help: 'The real widget, with the settings above (drafts included). Answers given here are not stored.',
      preview_unavailable: 'The preview could not load: {e}',
      code: 'Get the code', code_tag: '1. Once per page, before </body>:',
      code_show: '2. After payment (or when a ticket closes):',
      code_sign: '3. If the site requires signed context, sign on your server (HMAC-SHA256 over site|survey|order|customer|exp with the site\'s secret; see docs/signing.md) and pass sig and exp:',
      required_field: 'Required.', unexpected: 'The request failed: {e}', unknown_problem: '{path}: {msg}',
      edit_site: 'Edit site {key}', save_site: 'Save site', cancel: 'Cancel', site_rotate: 'Make a new signing secret (signatures made with the old one are refused at once)', site_updated: 'Site {key} updated.',
      sites_title: 'Sites', add_site: 'Add a site', site_key: 'Site key', site_name: 'Name',
      sites_help: 'A site is a web property that embeds surveys: its key goes in the script tag, its allowed origins may post answers, its secret signs the order and customer on your server.',
      site_key_help: 'Lower-case letters, digits, - and _, e.g. shop-cn. Used as data-site="…"; cannot change later.',
      site_origins: 'Allowed origins (one per line)',
      site_origins_help: 'The pages that embed the survey, e.g. https://shop.example or http://localhost:3000 (no path); * allows any. None: only this collector\'s own pages.',
      site_require: 'Require signed order and customer (recommended when answers open cases)', create_site: 'Create site',
      secret_title: 'Signing secret, shown only now:', secret_help: 'Keep it on your servers (never in the page). It cannot be shown again.',
      site_created: 'Site {key} created.', origins_none: 'own pages only', signatures_required: 'signatures required',
      signatures_optional: 'signatures optional', tokens_title: 'Admin tokens', add_token: 'New token', token_name: 'What it is for',
      create_token: 'Create token', token_secret_title: 'New token, shown only now:', token_created: 'Token “{name}” created.',
      this_session: 'this session', never_used: 'never used', last_used: 'last used {t}', created_at: 'created {t}',
      revoke: 'Revoke', revoke_confirm: 'Confirm: revoke “{name}”', revoked: 'Token “{name}” revoked.',
      own_token_revoked: 'You revoked the token of this session: log in with another one.',
      history: 'Versions', history_help: 'A published version never changes: editing it makes the next version. Answers keep the version they answered.',
      col_version: 'Version', col_state: 'State', col_responses: 'Answers', col_created: 'Created',
      state_live: 'live', state_replaced: 'replaced by version {v}', state_superseded: 'superseded by version {v} (still accepts answers already under way)',
      code_sig: '// the site requires signatures: sig and exp come from your server (step 3)',
      code_sig_optional: '// if the site requires signatures, also pass sig and exp (step 3)'
    }
  };

  var $ = function (id) { return document.getElementById(id); };
  var lang = pickLang();
  // What the editor shows: the base definition (template survey or the
  // survey's latest version), where it came from, and the stored survey.
  var ed = null;
  var templates = [];
  var sites = [];
  var widget = null;
  var previewTimer = null;
  // Whether a login succeeded: a 401 then means the token was revoked
  // meanwhile (back to the login form); before, the login form reports it.
  var signedIn = false;

  function pickLang() {
    var saved = null;
    try { saved = localStorage.getItem(LANG_KEY); } catch (e) { /* private mode */ }
    if (saved && T[saved]) return saved;
    var nav = (navigator.language || '').toLowerCase();
    if (/^zh-(tw|hk|mo)|hant/.test(nav)) return 'zh-TW';
    if (/^zh/.test(nav)) return 'zh-CN';
    return 'en';
  }

  function t(key, vars) {
    var s = (T[lang] && T[lang][key]) || T.en[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split('{' + k + '}').join(vars[k]); });
    return s;
  }

  function loc(text) {
    if (!text) return '';
    return text[lang] || text['zh-CN'] || text.en || Object.values(text)[0] || '';
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function applyLang() {
    document.documentElement.lang = lang;
    $('ui-lang').value = lang;
    document.querySelectorAll('[data-i18n]').forEach(function (e) { e.textContent = t(e.dataset.i18n); });
    document.querySelectorAll('[data-i18n-label]').forEach(function (e) {
      e.setAttribute('aria-label', t(e.dataset.i18nLabel));
    });
  }

  function say(msg, isError) {
    var s = $('status');
    s.textContent = msg || '';
    s.classList.toggle('error', !!isError);
  }

  // ---- API ------------------------------------------------------------

  function api(method, path, body) {
    return session.json(method, path, body, function () {
      if (signedIn) logout(t('session_expired'));
    });
  }

  // ---- views ------------------------------------------------------------

  function show(view) {
    ['login-view', 'home-view', 'editor-view'].forEach(function (v) { $(v).hidden = v !== view; });
    $('logout').hidden = view === 'login-view';
    var heading = $(view).querySelector('h2');
    if (heading) heading.focus();
  }

  function logout(message) {
    signedIn = false;
    session.clear();
    $('login-error').textContent = message || '';
    $('token').setAttribute('aria-invalid', message ? 'true' : 'false');
    say('');
    show('login-view');
  }

  function login(ev) {
    ev.preventDefault();
    var value = $('token').value.trim();
    if (!value) {
      $('login-error').textContent = t('token_missing');
      $('token').setAttribute('aria-invalid', 'true');
      $('token').focus();
      return;
    }
    session.save(value);
    $('login-submit').disabled = true;
    home().then(function () {
      $('token').value = '';
      $('token').removeAttribute('aria-invalid');
      $('login-error').textContent = '';
    }, function (e) {
      if (e.status === 401) logout(t('token_rejected'));
      else $('login-error').textContent = t('unexpected', { e: e.message || e });
      $('token').focus();
    }).then(function () { $('login-submit').disabled = false; });
  }

  function home() {
    return Promise.all([api('GET', '/api/templates'), api('GET', '/api/surveys'), api('GET', '/api/sites'),
      api('GET', '/api/tokens')])
      .then(function (r) {
        templates = r[0] || [];
        sites = r[2] || [];
        renderSurveys(r[1] || []);
        renderGallery();
        renderSites();
        renderTokens(r[3] || []);
        signedIn = true;
        show('home-view');
      });
  }

  // ---- sites and tokens ---------------------------------------------------

  function renderSites() {
    var ul = $('site-list');
    ul.textContent = '';
    sites.forEach(function (s) {
      ul.appendChild(el('li', { 'data-site-key': s.key }, [
        el('strong', { text: s.key }),
        el('span', { text: s.name }),
        el('span', { 'class': 'meta', text: s.allowed_origins.length ? s.allowed_origins.join(' ') : t('origins_none') }),
        el('span', { 'class': 'badge', text: t(s.require_signature ? 'signatures_required' : 'signatures_optional') }),
        editButton(s)
      ]));
    });
  }

  function editButton(site) {
    var b = el('button', { type: 'button', 'class': 'secondary', 'data-edit-site': site.key, text: t('edit') });
    b.addEventListener('click', function () { editSite(site); });
    return b;
  }

  /** The site form, for a new site (`site` null) or to change one. */
  function siteFormMode(site) {
    var form = $('site-form');
    clearFormErrors(form, 'data-site-error-for');
    form.reset();
    form.dataset.editing = site ? site.key : '';
    $('s-key').readOnly = !!site;
    $('s-rotate-field').hidden = !site;
    $('site-cancel').hidden = !site;
    $('site-form-title').textContent = site ? t('edit_site', { key: site.key }) : t('add_site');
    $('site-create').textContent = t(site ? 'save_site' : 'create_site');
    if (site) {
      $('s-key').value = site.key;
      $('s-name').value = site.name;
      $('s-origins').value = site.allowed_origins.join('\n');
      $('s-require').checked = site.require_signature;
    }
  }

  function editSite(site) {
    siteFormMode(site);
    $('site-secret').hidden = true;
    $('s-name').focus();
  }

  function renderTokens(list) {
    var ul = $('token-list');
    ul.textContent = '';
    list.forEach(function (tok) {
      var b = el('button', { type: 'button', 'class': 'secondary', 'data-revoke': tok.id, text: t('revoke') });
      b.addEventListener('click', function () { revokeToken(tok, b); });
      ul.appendChild(el('li', { 'data-token-id': tok.id }, [
        el('strong', { text: tok.name }),
        tok.current ? el('span', { 'class': 'badge published', text: t('this_session') }) : null,
        el('span', { 'class': 'meta', text: t('created_at', { t: when(tok.created_at) }) + ' · ' +
          (tok.last_used_at ? t('last_used', { t: when(tok.last_used_at) }) : t('never_used')) }),
        b
      ]));
    });
  }

  /** A stored RFC 3339 UTC time, shown in the browser's time zone. */
  function when(ts) {
    var d = new Date(ts);
    return isNaN(d) ? ts : d.toLocaleString(lang);
  }

  /** Shows the errors of a small form next to their fields: `slotFor`
   * maps an error path to the `data-*-error-for` value of its slot. */
  function formErrors(form, attr, e, slotFor) {
    form.querySelectorAll('[' + attr + ']').forEach(function (x) { x.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (x) { x.removeAttribute('aria-invalid'); });
    var first = null;
    var unplaced = [];
    var items = e.errors && e.errors.length ? e.errors : [{ question: '', message: e.message }];
    items.forEach(function (item) {
      var key = slotFor(item.question || '');
      var slot = key && form.querySelector('[' + attr + '="' + key + '"]');
      if (!slot) { unplaced.push(item.message); return; }
      slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + item.message;
      var input = slot.closest('.field').querySelector('input, textarea');
      input.setAttribute('aria-invalid', 'true');
      if (!first) first = input;
    });
    say(t('unexpected', { e: unplaced.length ? unplaced.join(' ') : e.message }), true);
    if (first) first.focus();
  }

  function clearFormErrors(form, attr) {
    form.querySelectorAll('[' + attr + ']').forEach(function (x) { x.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (x) { x.removeAttribute('aria-invalid'); });
  }

  function createSite(ev) {
    ev.preventDefault();
    var form = $('site-form');
    var body = {
      key: $('s-key').value.trim(),
      name: $('s-name').value.trim(),
      allowed_origins: $('s-origins').value.split('\n').map(function (o) { return o.trim(); })
        .filter(function (o) { return o; }),
      require_signature: $('s-require').checked
    };
    var editing = form.dataset.editing;
    var request;
    if (editing) {
      delete body.key;
      body.rotate_secret = $('s-rotate').checked;
      request = api('PATCH', '/api/sites/' + encodeURIComponent(editing), body).then(function (r) {
        return { key: r.site.key, secret: r.secret, message: 'site_updated' };
      });
    } else {
      request = api('POST', '/api/sites', body).then(function (r) {
        return { key: r.key, secret: r.secret, message: 'site_created' };
      });
    }
    $('site-create').disabled = true;
    $('site-secret').hidden = true;
    say('');
    request.then(function (done) {
      siteFormMode(null);
      if (done.secret) {
        $('site-secret-value').textContent = done.secret;
        $('site-secret').hidden = false;
        $('site-secret').focus();
      }
      say(t(done.message, { key: done.key }));
      return api('GET', '/api/sites').then(function (list) { sites = list || []; renderSites(); });
    }, function (e) {
      if (e.status === 401) return;
      if (e.code === 'site_exists') e.errors = [{ question: 'key', message: e.message }];
      formErrors(form, 'data-site-error-for', e, function (path) {
        if (path === 'key' || path === 'name') return path;
        if (/^allowed_origins(\[\d+\])?$/.test(path)) return 'allowed_origins';
        return null;
      });
    }).then(function () { $('site-create').disabled = false; });
  }

  function createToken(ev) {
    ev.preventDefault();
    var form = $('token-form');
    $('token-create').disabled = true;
    $('token-secret').hidden = true;
    say('');
    api('POST', '/api/tokens', { name: $('t-name').value }).then(function (created) {
      clearFormErrors(form, 'data-token-error-for');
      form.reset();
      $('token-secret-value').textContent = created.token;
      $('token-secret').hidden = false;
      $('token-secret').focus();
      say(t('token_created', { name: created.name }));
      return api('GET', '/api/tokens').then(renderTokens);
    }, function (e) {
      if (e.status === 401) return;
      formErrors(form, 'data-token-error-for', e, function (path) { return path === 'name' ? 'name' : null; });
    }).then(function () { $('token-create').disabled = false; });
  }

  /** First click arms the button (its label asks to confirm), the second
   * revokes: no modal dialog, and a slip of the finger costs nothing. */
  function revokeToken(tok, button) {
    if (!button.dataset.armed) {
      button.dataset.armed = '1';
      button.textContent = t('revoke_confirm', { name: tok.name });
      button.classList.add('danger');
      return;
    }
    button.disabled = true;
    api('DELETE', '/api/tokens/' + encodeURIComponent(tok.id)).then(function () {
      if (tok.current) { logout(t('own_token_revoked')); return null; }
      say(t('revoked', { name: tok.name }));
      return api('GET', '/api/tokens').then(function (list) {
        renderTokens(list);
        $('tokens-title').focus();
      });
    }, fail);
  }

  function statusText(s) { return t('status_' + s); }

  function renderSurveys(list) {
    var ul = $('survey-list');
    ul.textContent = '';
    $('no-surveys').hidden = list.length > 0;
    list.forEach(function (s) {
      var b = el('button', { type: 'button', 'class': 'secondary', 'data-edit': s.survey_id, text: t('edit') });
      b.addEventListener('click', function () { openSurvey(s.survey_id); });
      ul.appendChild(el('li', {}, [
        el('strong', { text: s.survey_id }),
        el('span', { text: s.site }),
        el('span', { 'class': 'badge ' + s.status, text: 'v' + s.version + ' · ' + statusText(s.status) }),
        b
      ]));
    });
  }

  function renderGallery() {
    var ul = $('gallery');
    ul.textContent = '';
    templates.forEach(function (tpl) {
      var titleId = 'tpl-' + tpl.id;
      var b = el('button', { type: 'button', 'data-template': tpl.id, 'aria-describedby': titleId, text: t('use_template') });
      b.addEventListener('click', function () { openTemplate(tpl.id); });
      ul.appendChild(el('li', {}, [el('article', { 'class': 'card', 'data-template-card': tpl.id }, [
        el('h3', { id: titleId, text: loc(tpl.name) }),
        el('p', { text: loc(tpl.description) }),
        el('p', { 'class': 'meta', text: t('minutes', { n: tpl.estimated_seconds }) + ' · ' +
          t('questions_n', { n: tpl.questions.length }) }),
        b
      ])]));
    });
  }

  // ---- editor -----------------------------------------------------------

  function openTemplate(id) {
    api('GET', '/api/templates/' + encodeURIComponent(id)).then(function (d) {
      ed = { template: d.template, base: d.survey, detail: null };
      fillForm(d.survey, null);
      show('editor-view');
    }, fail);
  }

  function openSurvey(id) {
    Promise.all([api('GET', '/api/surveys/' + encodeURIComponent(id)), sites.length ? sites : api('GET', '/api/sites')])
      .then(function (r) {
        sites = r[1] || sites;
        ed = { template: null, base: r[0].definition, detail: r[0] };
        fillForm(r[0].definition, r[0]);
        show('editor-view');
      }, fail);
  }

  function fail(e) {
    if (e && e.status === 401) return;
    say(t('unexpected', { e: (e && e.message) || e }), true);
  }

  /** The `lte`/`lt` thresholds currently set on score question `qid`. */
  function findThreshold(survey, qid) {
    var found = null;
    function walk(c) {
      if (!c) return;
      ['all', 'any'].forEach(function (k) { if (Array.isArray(c[k])) c[k].forEach(walk); });
      if (c.not) walk(c.not);
      if (c.question === qid && (c.op === 'lte' || c.op === 'lt') && typeof c.value === 'number') {
        found = c.op === 'lt' ? c.value - 1 : c.value;
      }
    }
    survey.questions.forEach(function (q) { walk(q.show_if); });
    return found;
  }

  function scale(q) {
    if (q.type === 'nps') return [0, 10];
    if (q.type === 'csat' || q.type === 'likert') return [1, q.points || 5];
    if (q.type === 'ces') return [1, q.points || 7];
    if (q.type === 'rating') return [q.min == null ? 1 : q.min, q.max == null ? (q.points || 5) : q.max];
    return null;
  }

  function fillForm(survey, detail) {
    clearErrors();
    var created = !!detail;
    $('editor-title').textContent = created ? t('editing', { id: detail.survey_id }) :
      t('new_from', { name: loc(ed.template && ed.template.name) });
    $('f-survey_id').value = created ? detail.survey_id : '';
    $('f-survey_id').readOnly = created;
    var site = $('f-site');
    site.textContent = '';
    sites.forEach(function (s) {
      site.appendChild(el('option', { value: s.key, text: s.name && s.name !== s.key ? s.key + ' — ' + s.name : s.key }));
    });
    if (created) site.value = detail.site;
    site.disabled = created;
    document.querySelectorAll('input[name=locale]').forEach(function (c) {
      c.checked = survey.locales.indexOf(c.value) >= 0;
    });
    $('f-default_locale').value = survey.default_locale;
    $('f-brand_color').value = (survey.theme && survey.theme.brand_color) || '';
    syncSwatch();
    $('f-display_mode').value = (survey.display && survey.display.mode) || 'auto';

    var qs = $('questions');
    qs.textContent = '';
    survey.questions.forEach(function (q, i) {
      var box = el('div', { 'class': 'question', 'data-qid': q.id, 'data-qindex': i }, [
        el('h4', {}, [el('code', { text: q.id }), document.createTextNode(' · ' + q.type)])
      ]);
      LOCALES.forEach(function (l) {
        var key = 'text:' + q.id + ':' + l;
        var id = 'f-' + key.replace(/[^a-zA-Z0-9_-]/g, '_');
        var input = el('input', { id: id, 'data-text-q': q.id, 'data-text-locale': l, autocomplete: 'off',
          'aria-describedby': 'err-' + id });
        input.value = (q.text && q.text[l]) || '';
        box.appendChild(el('div', { 'class': 'field', 'data-field': key, 'data-locale-field': l }, [
          el('label', { 'for': id, text: t('text_in', { loc: l }) }), input,
          el('p', { id: 'err-' + id, 'class': 'field-error', 'data-error-for': key })
        ]));
      });
      var th = findThreshold(survey, q.id);
      var sc = scale(q);
      if (th !== null && sc) {
        var key = 'threshold:' + q.id;
        var id = 'f-threshold-' + q.id;
        var input = el('input', { id: id, type: 'number', min: sc[0], max: sc[1], step: 1, inputmode: 'numeric',
          'data-threshold-q': q.id, 'aria-describedby': 'err-' + id });
        input.value = th;
        input.dataset.initial = th;
        box.appendChild(el('div', { 'class': 'field', 'data-field': key }, [
          el('label', { 'for': id, text: t('threshold', { lo: sc[0], hi: sc[1] }) }), input,
          el('p', { id: 'err-' + id, 'class': 'field-error', 'data-error-for': key })
        ]));
      }
      qs.appendChild(box);
    });

    var rows = $('sampling-rows');
    rows.textContent = '';
    var sampling = (detail && detail.sampling) || [];
    if (!sampling.length) sampling = [{ segment: 'default', rate: 1, recontact_days: 0 }];
    sampling.forEach(function (s) { addSegment(s.segment, s.rate); });
    $('f-recontact_days').value = sampling[0].recontact_days || 0;
    // A new survey sends its audience settings; a stored one only changes.
    ed.audience = detail ? audience(currentSampling(), $('f-recontact_days').value) : null;

    showLocaleFields();
    updateState();
    renderCode();
    schedulePreview(0);
  }

  function addSegment(name, rate) {
    var n = $('sampling-rows').children.length;
    var seg = el('input', { id: 'f-seg-' + n, 'data-seg': 'name', 'aria-label': t('segment'), autocomplete: 'off' });
    var r = el('input', { id: 'f-rate-' + n, 'data-seg': 'rate', type: 'number', min: 0, max: 1, step: 0.01,
      inputmode: 'decimal', 'aria-label': t('rate') });
    seg.value = name || '';
    r.value = rate == null ? '' : rate;
    var rm = el('button', { type: 'button', 'class': 'secondary', text: t('remove') });
    var row = el('div', { 'class': 'seg-row' }, [seg, r, rm]);
    rm.addEventListener('click', function () { row.remove(); });
    $('sampling-rows').appendChild(row);
    return seg;
  }

  function checkedLocales() {
    return Array.prototype.filter.call(document.querySelectorAll('input[name=locale]'), function (c) {
      return c.checked;
    }).map(function (c) { return c.value; });
  }

  function showLocaleFields() {
    var ls = checkedLocales();
    document.querySelectorAll('[data-locale-field]').forEach(function (f) {
      f.hidden = ls.indexOf(f.dataset.localeField) < 0;
    });
    var pl = $('preview-locale');
    var current = pl.value;
    pl.textContent = '';
    ls.forEach(function (l) { pl.appendChild(el('option', { value: l, text: l })); });
    pl.value = ls.indexOf(current) >= 0 ? current : (ls.indexOf(lang) >= 0 ? lang : ls[0] || '');
  }

  function syncSwatch() {
    var v = $('f-brand_color').value.trim();
    if (/^#[0-9a-fA-F]{6}$/.test(v)) $('f-brand_swatch').value = v.toLowerCase();
  }

  function renderHistory() {
    var d = ed && ed.detail;
    $('history-panel').hidden = !d;
    var body = $('history-rows');
    body.textContent = '';
    if (!d) return;
    d.versions.slice().reverse().forEach(function (v) {
      var state = statusText(v.status);
      if (v.superseded_by && v.status === 'published') state = t('state_superseded', { v: v.superseded_by });
      else if (v.superseded_by) state += ' · ' + t('state_replaced', { v: v.superseded_by });
      else if (v.version === d.published_version) state += ' · ' + t('state_live');
      body.appendChild(el('tr', { 'data-version': v.version, 'data-superseded-by': v.superseded_by }, [
        el('th', { scope: 'row', text: 'v' + v.version }),
        el('td', { 'data-state': '', text: state }),
        el('td', { 'data-responses': '', text: String(v.responses) }),
        el('td', { text: when(v.created_at) })
      ]));
    });
  }

  function updateState() {
    renderHistory();
    var d = ed && ed.detail;
    $('create').hidden = !!d;
    $('save').hidden = !d;
    $('publish').hidden = !d;
    $('pause').hidden = !d || !d.published_version;
    $('editor-state').textContent = d ? t('state', { v: d.version, status: statusText(d.status) }) +
      (d.published_version && d.published_version !== d.version ? t('state_pub', { p: d.published_version }) : '') : '';
  }

  /** The overrides the form asks for (only what differs from the base). */
  function overrides() {
    var base = ed.base;
    var o = {};
    var ls = checkedLocales();
    if (ls.slice().sort().join() !== base.locales.slice().sort().join()) o.locales = ls;
    var dl = $('f-default_locale').value;
    if (dl !== base.default_locale) o.default_locale = dl;
    var color = $('f-brand_color').value.trim();
    if (color !== ((base.theme && base.theme.brand_color) || '')) o.brand_color = color;
    var mode = $('f-display_mode').value;
    if (mode !== ((base.display && base.display.mode) || 'auto')) o.display_mode = mode;
    var texts = {};
    document.querySelectorAll('[data-text-q]').forEach(function (input) {
      var q = input.dataset.textQ, l = input.dataset.textLocale;
      if (ls.indexOf(l) < 0) return;
      var bq = base.questions.filter(function (x) { return x.id === q; })[0];
      var old = (bq && bq.text && bq.text[l]) || '';
      if (input.value !== old) (texts[q] = texts[q] || {})[l] = input.value.trim();
    });
    if (Object.keys(texts).length) o.question_texts = texts;
    var th = {};
    document.querySelectorAll('[data-threshold-q]').forEach(function (input) {
      if (input.value !== input.dataset.initial && input.value !== '') th[input.dataset.thresholdQ] = Number(input.value);
    });
    if (Object.keys(th).length) o.thresholds = th;
    var sampling = currentSampling();
    var rd = $('f-recontact_days').value;
    // Sent only when changed: any edit of a published survey makes a new
    // draft version, and an unchanged form must not.
    if (audience(sampling, rd) !== ed.audience) {
      if (Object.keys(sampling).length) o.sampling = sampling;
      if (rd !== '') o.recontact_days = Number(rd);
    }
    return o;
  }

  function audience(sampling, rd) { return JSON.stringify([sampling, rd]); }

  function currentSampling() {
    var sampling = {};
    $('sampling-rows').querySelectorAll('.seg-row').forEach(function (row) {
      var name = row.querySelector('[data-seg=name]').value.trim();
      var rate = row.querySelector('[data-seg=rate]').value;
      if (name || rate !== '') sampling[name] = rate === '' ? NaN : Number(rate);
    });
    return sampling;
  }

  // ---- errors -----------------------------------------------------------

  function clearErrors() {
    document.querySelectorAll('[data-error-for]').forEach(function (e) { e.textContent = ''; });
    document.querySelectorAll('[aria-invalid]').forEach(function (e) {
      if (e.id !== 'token') e.removeAttribute('aria-invalid');
    });
    $('error-summary').hidden = true;
    $('error-list').textContent = '';
  }

  /** The form field key for an error path, or null (summary only). */
  function fieldFor(path) {
    var m;
    if (path === 'theme.brand_color' || path === 'brand_color' || path === 'theme') return 'brand_color';
    if (path === 'display_mode' || path === 'display.mode') return 'display_mode';
    if (/^locales(\[\d+\])?$/.test(path)) return 'locales';
    if (path === 'default_locale') return 'default_locale';
    if (path === 'survey_id' || path === 'id' || path === 'definition.id') return 'survey_id';
    if (path === 'site') return 'site';
    if (path === 'recontact_days') return 'recontact_days';
    if (/^sampling(\.|$)/.test(path)) return 'sampling';
    if ((m = /^thresholds\.(.+)$/.exec(path))) return 'threshold:' + m[1];
    if ((m = /^question_texts\.([^.]+)\.([A-Za-z-]+)$/.exec(path))) return 'text:' + m[1] + ':' + m[2];
    if ((m = /^questions\[(\d+)\]\.text\.([A-Za-z-]+)$/.exec(path))) {
      var box = document.querySelector('[data-qindex="' + m[1] + '"]');
      return box ? 'text:' + box.dataset.qid + ':' + m[2] : null;
    }
    return null;
  }

  function showErrors(e) {
    clearErrors();
    var items = e.errors && e.errors.length ? e.errors : [{ question: '', code: e.code, message: e.message }];
    if (e.code === 'unknown_site') items = [{ question: 'site', code: e.code, message: e.message }];
    if (e.code === 'survey_exists') items = [{ question: 'survey_id', code: e.code, message: e.message }];
    var first = null;
    items.forEach(function (item) {
      var key = item.question ? fieldFor(item.question) : null;
      var slot = key && document.querySelector('[data-error-for="' + CSS.escape(key) + '"]');
      if (slot && !slot.closest('[hidden]')) {
        slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + item.message;
        var field = slot.closest('[data-field]');
        var input = field && field.querySelector('input:not([type=color]), select');
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          if (!first) first = input;
        }
      } else {
        $('error-list').appendChild(el('li', {
          'data-error-path': item.question || '',
          text: item.question ? t('unknown_problem', { path: item.question, msg: item.message }) : item.message
        }));
      }
    });
    if ($('error-list').children.length) {
      $('error-summary').hidden = false;
      if (!first) first = $('error-summary');
    }
    say(t('unexpected', { e: e.message }), true);
    if (first) first.focus();
  }

  // ---- actions ------------------------------------------------------------

  function busy(on) {
    ['create', 'save', 'publish', 'pause'].forEach(function (b) { $(b).disabled = on; });
  }

  function done(message) {
    return function (detail) {
      ed.detail = detail;
      ed.base = detail.definition;
      fillForm(detail.definition, detail);
      say(t(message));
    };
  }

  function act(promise, message) {
    busy(true);
    say('');
    return promise.then(done(message), function (e) {
      if (e.status === 401) return;
      if (e instanceof ApiError) showErrors(e);
      else say(t('unexpected', { e: e.message || e }), true);
    }).then(function () { busy(false); });
  }

  function create(ev) {
    ev.preventDefault();
    if (ed.detail) return save();
    var body = overrides();
    body.template = ed.template.id;
    body.survey_id = $('f-survey_id').value.trim();
    body.site = $('f-site').value;
    return act(api('POST', '/api/surveys', body), 'created');
  }

  function save() {
    return act(api('PUT', '/api/surveys/' + encodeURIComponent(ed.detail.survey_id), overrides()), 'saved');
  }

  function publish() {
    // Unsaved changes go in first: what is published is what the form shows.
    var id = encodeURIComponent(ed.detail.survey_id);
    var o = overrides();
    var first = Object.keys(o).length ? api('PUT', '/api/surveys/' + id, o) : Promise.resolve(null);
    return act(first.then(function () { return api('POST', '/api/surveys/' + id + '/publish'); }), 'published');
  }

  function pause() {
    return act(api('POST', '/api/surveys/' + encodeURIComponent(ed.detail.survey_id) + '/pause'), 'paused');
  }

  // ---- code panel -------------------------------------------------------------

  function renderCode() {
    var site = $('f-site').value || 'SITE_KEY';
    var id = $('f-survey_id').value.trim() || 'SURVEY_ID';
    $('code-tag').textContent = '<script async src="' + location.origin + '/manyi.js" data-site="' + site + '"></script>';
    var chosen = sites.filter(function (s) { return s.key === site; })[0];
    var signed = !!(chosen && chosen.require_signature);
    $('code-show').textContent = '<script>\n' +
      '  window.manyi = window.manyi || function(){(manyi.q = manyi.q || []).push(arguments)};\n' +
      "  manyi('show', { survey: '" + id + "', orderId: ORDER_ID, customer: CUSTOMER_ID,\n" +
      "                  channel: 'web', segment: SEGMENT, locale: '" + ($('f-default_locale').value || 'zh-CN') + "',\n" +
      '                  ' + t(signed ? 'code_sig' : 'code_sig_optional') + '\n' +
      '                  ' + (signed ? '' : '// ') + 'sig: SIG_FROM_YOUR_SERVER, exp: EXP_FROM_YOUR_SERVER\n' +
      '  });\n' +
      '</script>';
  }

  // ---- preview (the real widget, see admin_ui.rs) ---------------------------

  function loadWidget() {
    if (!widget) {
      widget = fetch('/admin/widget.json', { cache: 'no-store' }).then(function (r) {
        if (!r.ok) throw new Error('widget not built (HTTP ' + r.status + ')');
        return r.json();
      }).then(function (w) {
        return import(w.glue).then(function (m) {
          return m.default({ module_or_path: w.wasm }).then(function () { return m; });
        });
      });
      widget.catch(function () { widget = null; });
    }
    return widget;
  }

  /** The base definition with the form's settings applied (as far as the
   * browser can tell; the collector's check is the one that counts). */
  function previewDefinition() {
    var s = JSON.parse(JSON.stringify(ed.base));
    var ls = checkedLocales();
    if (ls.length) s.locales = ls;
    var dl = $('f-default_locale').value;
    s.default_locale = ls.indexOf(dl) >= 0 ? dl : s.locales[0];
    var color = $('f-brand_color').value.trim();
    if (/^#[0-9a-fA-F]{6}$/.test(color)) s.theme = { brand_color: color };
    s.display = s.display || {};
    s.display.mode = 'inline';
    document.querySelectorAll('[data-text-q]').forEach(function (input) {
      var q = s.questions.filter(function (x) { return x.id === input.dataset.textQ; })[0];
      if (q && input.value.trim()) q.text[input.dataset.textLocale] = input.value.trim();
    });
    document.querySelectorAll('[data-threshold-q]').forEach(function (input) {
      var qid = input.dataset.thresholdQ, v = Number(input.value);
      if (input.value === '' || !isFinite(v)) return;
      s.questions.forEach(function (q) {
        (function walk(c) {
          if (!c) return;
          ['all', 'any'].forEach(function (k) { if (Array.isArray(c[k])) c[k].forEach(walk); });
          if (c.not) walk(c.not);
          if (c.question === qid && (c.op === 'lte' || c.op === 'lt')) { c.op = 'lte'; c.value = v; }
        })(q.show_if);
      });
    });
    // Text a locale lacks falls back in the widget; drop empty ones.
    s.questions.forEach(function (q) {
      Object.keys(q.text || {}).forEach(function (l) { if (s.locales.indexOf(l) < 0) delete q.text[l]; });
    });
    return s;
  }

  function schedulePreview(delay) {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, delay == null ? 400 : delay);
  }

  function renderPreview() {
    if (!ed || $('editor-view').hidden) return;
    var box = $('preview');
    var err = $('preview-error');
    var definition;
    try { definition = previewDefinition(); } catch (e) { return; }
    loadWidget().then(function (m) {
      box.textContent = '';
      var host = el('div', { 'data-manyi-preview': definition.id });
      box.appendChild(host);
      m.mount(host.attachShadow({ mode: 'open' }), JSON.stringify({
        collector: location.origin + '/admin/preview',
        site: $('f-site').value || 'preview',
        survey: definition,
        context: { order_id: 'preview', customer: 'preview', channel: 'web', locale: $('preview-locale').value || null,
          page: location.href },
        sig: null,
        locale: $('preview-locale').value || null,
        mode: 'inline'
      }));
      err.textContent = '';
    }).catch(function (e) {
      err.textContent = t('preview_unavailable', { e: (e && e.message) || e });
    });
  }

  // ---- wiring -------------------------------------------------------------------

  function init() {
    applyLang();
    $('ui-lang').addEventListener('change', function () {
      lang = $('ui-lang').value;
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* ignore */ }
      applyLang();
      // applyLang reset the site form's title and button to "add".
      var editing = $('site-form').dataset.editing;
      if (editing) {
        $('site-form-title').textContent = t('edit_site', { key: editing });
        $('site-create').textContent = t('save_site');
      }
      if (!$('home-view').hidden) home().catch(fail);
      if (ed && !$('editor-view').hidden) {
        $('editor-title').textContent = ed.detail ? t('editing', { id: ed.detail.survey_id }) :
          t('new_from', { name: loc(ed.template && ed.template.name) });
        updateState();
      }
    });
    $('login-form').addEventListener('submit', login);
    $('site-form').addEventListener('submit', createSite);
    $('site-cancel').addEventListener('click', function () { siteFormMode(null); $('site-form-title').focus(); });
    $('token-form').addEventListener('submit', createToken);
    $('logout').addEventListener('click', function () { ed = null; logout(''); });
    $('back').addEventListener('click', function () { ed = null; home().catch(fail); });
    $('survey-form').addEventListener('submit', create);
    $('save').addEventListener('click', save);
    $('publish').addEventListener('click', publish);
    $('pause').addEventListener('click', pause);
    $('add-segment').addEventListener('click', function () { addSegment('', 1).focus(); });
    $('f-brand_swatch').addEventListener('input', function () {
      $('f-brand_color').value = $('f-brand_swatch').value;
      schedulePreview();
    });
    $('f-brand_color').addEventListener('input', syncSwatch);
    $('survey-form').addEventListener('input', function (ev) {
      if (ev.target.name === 'locale') showLocaleFields();
      renderCode();
      schedulePreview();
    });
    $('survey-form').addEventListener('change', function () { renderCode(); schedulePreview(); });
    $('preview-locale').addEventListener('change', function () { schedulePreview(0); });

    if (token()) {
      home().catch(function (e) {
        if (e.status === 401) logout(t('session_expired'));
        else fail(e);
      });
    }
    else show('login-view');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
