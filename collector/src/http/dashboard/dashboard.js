/* manyi dashboard: KPI tiles, trend, breakdown, SERVQUAL heat map,
 * follow-up reasons and the case queue for one filter. Reads the reports
 * API (docs/reports-api.md) and the cases API (docs/cases-api.md) with the
 * admin token kept in sessionStorage (the same key as /admin). Every figure
 * shown comes from those APIs; the page only formats and draws it.
 * See collector/src/http/dashboard.rs for the design notes.
 *
 * Two limits of the reports API shape the page (docs/reports-api.md):
 * - breakdowns list at most 50 groups and sum the rest in `other` (drawn
 *   as one "Other (N groups)" bar), the heat map at most 50 columns
 *   (`omitted_keys` said under it); the channel, segment, locale and tag
 *   filters list those 50 values and take any other one typed into their
 *   "Other value…" entry (values are made up by whoever posts answers, so
 *   a complete list would be neither short nor trustworthy);
 * - 503 reports_warming_up while the rollups catch up: the page stays
 *   signed in, shows the progress and retries on one timer after
 *   Retry-After (`body[data-warming]` holds the folded % meanwhile, a hook
 *   for the browser tests next to data-figures/data-loaded). */
(function () {
  'use strict';

  // The token and the API call are shared with /admin (session.js).
  var session = window.manyiSession;
  var token = session.token;
  var LANG_KEY = 'manyi:admin-lang';
  var DIMENSIONS = ['reliability', 'responsiveness', 'assurance', 'empathy', 'tangibles'];
  var PRIORITY_RANK = { urgent: 0, high: 1, normal: 2 };
  // Where a case may go from the queue (docs/cases-api.md). `verified`
  // only ever comes from the customer, so it is never offered here; the
  // server stays the judge (409 invalid_transition).
  var NEXT_STATUS = {
    open: ['contacted', 'closed'],
    contacted: ['resolved', 'closed'],
    resolved: ['open', 'closed'],
    verified: [],
    closed: []
  };

  var T = {
    'zh-CN': {
      skip: '跳到正文', dashboard: '数据看板', to_admin: '问卷管理', language: '语言', logout: '退出',
      login_title: '登录', token_label: '管理令牌', login: '登录',
      token_help: '由 `cargo xtask serve` 或 `manyi admin-token create` 打印。只保存在本标签页。',
      token_missing: '请粘贴管理令牌。', token_rejected: '令牌无效或已撤销，请重新登录。',
      session_expired: '登录已失效，请重新登录。', unexpected: '请求失败：{e}',
      dashboard_title: '满意度数据看板', filters: '筛选', period: '时间范围', presets: '快捷范围',
      last_7: '近 7 天', last_30: '近 30 天', last_90: '近 90 天', from: '开始', to: '结束',
      survey: '问卷', channel: '渠道', segment: '客户分群', locale: '语言', tag: '标签', version: '问卷版本',
      all: '全部', none_value: '（未填写）', include_flagged: '包含被标记的可疑答卷',
      excluded_n: '已排除 {n} 份被标记的答卷', excluded_none: '没有被排除的答卷',
      included_flagged: '已包含被标记的答卷', export: '导出当前筛选', export_ready: '已导出 {name}（{size}）',
      export_failed: '导出失败：{e}', bad_range: '开始日期不能晚于结束日期。',
      kpis: '关键指标', period_text: '{from} 至 {to}（{days} 天，UTC+8），对比 {pfrom} 至 {pto}',
      kpi_help: '± 为 95% 误差范围。答卷数少于 {min} 的指标标记为“样本过少”。',
      k_responses: '答卷数', k_nps: 'NPS 净推荐值', k_csat: 'CSAT 满意率（4–5 分）', k_ces: 'CES 费力度（均值，7 = 很容易）',
      k_rate: '回收率', k_median: '完成时间中位数', k_cases: '待跟进工单',
      few: '样本过少', no_data: '无数据', vs_prev: '较上期', no_prev: '上期无数据', no_change: '与上期持平',
      n_of: 'n = {n}', nps_counts: '推荐 {p} · 中立 {a} · 贬损 {d}', csat_mean: '均值 {m}',
      ces_easy: '{p}% 认为容易', rate_of: '{r} / {s} 次展示', rate_none: '无展示数据',
      timed_n: '{n} 份有计时', cases_overdue: '{n} 份已超时', cases_no_prev: '工单无历史对比',
      seconds: '{n} 秒', pp: '个百分点', pts: '分',
      trend: '趋势', metric: '指标', interval: '间隔', day: '日', week: '周', month: '月',
      m_nps: 'NPS', m_csat: 'CSAT 满意率 %', m_ces: 'CES 均值', m_responses: '答卷数',
      as_table: '以表格显示数据', col_period: '时间', col_value: '数值', col_n: '样本数', col_note: '备注',
      col_group: '分组', col_dimension: '维度', col_option: '选项', col_count: '次数', col_pct: '占比',
      breakdown: '分组对比', by: '分组依据', heatmap: 'SERVQUAL 维度 × 渠道（均值 1–5）',
      reasons: '追问原因分布', respondents: '{n} 人回答', hatched_few: '斜线 / 空心 = 样本过少',
      chart_trend: '{metric}按{interval}的趋势，{from} 至 {to}', chart_bars: '{metric}，按{by}',
      chart_heat: 'SERVQUAL 各维度在各渠道的均值', chart_reasons: '{q} 各选项被选比例',
      chart_empty: '这个范围内没有数据。', table_below: '详细数字见下方表格。',
      reliability: '可靠性', responsiveness: '响应性', assurance: '保证性', empathy: '移情性', tangibles: '有形性',
      cases: '工单队列', show: '显示', cs_open_all: '待处理（新建、已联系）', cs_resolved: '已解决，待客户确认', cs_all: '全部',
      cases_summary: '共 {n} 个工单，{o} 个超时', cases_more: '（显示前 {k} 个）', no_cases: '没有工单。',
      overdue: '⚠ 已超时', due: '截止 {t}', owner: '负责人：{o}', unassigned: '未分配', customer: '客户：{c}',
      details: '详情', hide_details: '收起', change_status: '改为', apply: '应用',
      status_changed: '工单 #{id} 已改为“{s}”。', opened_at: '创建 {t}',
      st_open: '新建', st_contacted: '已联系', st_resolved: '已解决', st_verified: '已确认', st_closed: '已关闭',
      pr_urgent: '紧急', pr_high: '高', pr_normal: '普通',
      d_opened: '创建时间', d_response: '答卷', d_answers: '回答', d_verification: '回访确认', d_link: '确认链接', new_link: '生成新链接', d_expired: '链接已过期，客户无法再回答',
      d_answered: '客户已回答：{r}，评分 {s}', d_waiting: '等待客户回答', d_notes: '备注', d_history: '记录',
      d_none: '无', yes: '是', no: '否', add_note: '添加备注', note_label: '新备注', note_added: '备注已添加。',
      legend_few: '空心点、斜线条和 * 表示样本过少的数字。',
      legend_heat: '颜色越深均值越高；每格都写出数值。* = 样本过少，— = 无回答。',
      cases_scope: '队列显示当前待办：只按问卷筛选，不受日期和其他筛选影响。',
      loading: '加载中…', loaded: '数据已更新（{t}）。',
      other_value: '其他值…', other_value_n: '其他值…（另有 {n} 个未列出）', other_value_label: '输入确切的值（回车应用）',
      other_group: '其他（1 组）', other_groups: '其他（{n} 组）',
      heat_omitted_1: '另有 1 列未显示（只显示回答最多的 50 列）。', heat_omitted: '另有 {n} 列未显示（只显示回答最多的 50 列）。',
      warming: '数据正在准备中（已完成 {p}%），准备好后会自动显示。'
    },
    'zh-TW': {
      skip: '跳到正文', dashboard: '數據看板', to_admin: '問卷管理', language: '語言', logout: '登出',
      login_title: '登入', token_label: '管理權杖', login: '登入',
      token_help: '由 `cargo xtask serve` 或 `manyi admin-token create` 印出。只保存在此分頁。',
      token_missing: '請貼上管理權杖。', token_rejected: '權杖無效或已撤銷，請重新登入。',
      session_expired: '登入已失效，請重新登入。', unexpected: '請求失敗：{e}',
      dashboard_title: '滿意度數據看板', filters: '篩選', period: '時間範圍', presets: '快速範圍',
      last_7: '近 7 天', last_30: '近 30 天', last_90: '近 90 天', from: '開始', to: '結束',
      survey: '問卷', channel: '通路', segment: '客戶分群', locale: '語言', tag: '標籤', version: '問卷版本',
      all: '全部', none_value: '（未填寫）', include_flagged: '包含被標記的可疑問卷',
      excluded_n: '已排除 {n} 份被標記的問卷', excluded_none: '沒有被排除的問卷',
      included_flagged: '已包含被標記的問卷', export: '匯出目前篩選', export_ready: '已匯出 {name}（{size}）',
      export_failed: '匯出失敗：{e}', bad_range: '開始日期不能晚於結束日期。',
      kpis: '關鍵指標', period_text: '{from} 至 {to}（{days} 天，UTC+8），對比 {pfrom} 至 {pto}',
      kpi_help: '± 為 95% 誤差範圍。回覆數少於 {min} 的指標標記為「樣本過少」。',
      k_responses: '回覆數', k_nps: 'NPS 淨推薦值', k_csat: 'CSAT 滿意率（4–5 分）', k_ces: 'CES 費力度（平均，7 = 很容易）',
      k_rate: '回收率', k_median: '完成時間中位數', k_cases: '待跟進工單',
      few: '樣本過少', no_data: '無資料', vs_prev: '較上期', no_prev: '上期無資料', no_change: '與上期持平',
      n_of: 'n = {n}', nps_counts: '推薦 {p} · 中立 {a} · 批評 {d}', csat_mean: '平均 {m}',
      ces_easy: '{p}% 認為容易', rate_of: '{r} / {s} 次展示', rate_none: '無展示資料',
      timed_n: '{n} 份有計時', cases_overdue: '{n} 份已逾時', cases_no_prev: '工單無歷史對比',
      seconds: '{n} 秒', pp: '個百分點', pts: '分',
      trend: '趨勢', metric: '指標', interval: '間隔', day: '日', week: '週', month: '月',
      m_nps: 'NPS', m_csat: 'CSAT 滿意率 %', m_ces: 'CES 平均', m_responses: '回覆數',
      as_table: '以表格顯示資料', col_period: '時間', col_value: '數值', col_n: '樣本數', col_note: '備註',
      col_group: '分組', col_dimension: '構面', col_option: '選項', col_count: '次數', col_pct: '比例',
      breakdown: '分組比較', by: '分組依據', heatmap: 'SERVQUAL 構面 × 通路（平均 1–5）',
      reasons: '追問原因分布', respondents: '{n} 人回答', hatched_few: '斜線 / 空心 = 樣本過少',
      chart_trend: '{metric}按{interval}的趨勢，{from} 至 {to}', chart_bars: '{metric}，按{by}',
      chart_heat: 'SERVQUAL 各構面在各通路的平均', chart_reasons: '{q} 各選項被選比例',
      chart_empty: '這個範圍內沒有資料。', table_below: '詳細數字見下方表格。',
      reliability: '可靠性', responsiveness: '回應性', assurance: '保證性', empathy: '同理心', tangibles: '有形性',
      cases: '工單佇列', show: '顯示', cs_open_all: '待處理（新建、已聯絡）', cs_resolved: '已解決，待客戶確認', cs_all: '全部',
      cases_summary: '共 {n} 個工單，{o} 個逾時', cases_more: '（顯示前 {k} 個）', no_cases: '沒有工單。',
      overdue: '⚠ 已逾時', due: '截止 {t}', owner: '負責人：{o}', unassigned: '未指派', customer: '客戶：{c}',
      details: '詳情', hide_details: '收起', change_status: '改為', apply: '套用',
      status_changed: '工單 #{id} 已改為「{s}」。', opened_at: '建立 {t}',
      st_open: '新建', st_contacted: '已聯絡', st_resolved: '已解決', st_verified: '已確認', st_closed: '已關閉',
      pr_urgent: '緊急', pr_high: '高', pr_normal: '普通',
      d_opened: '建立時間', d_response: '問卷回覆', d_answers: '回答', d_verification: '回訪確認', d_link: '確認連結', new_link: '產生新連結', d_expired: '連結已過期，客戶無法再回答',
      d_answered: '客戶已回答：{r}，評分 {s}', d_waiting: '等待客戶回答', d_notes: '備註', d_history: '紀錄',
      d_none: '無', yes: '是', no: '否', add_note: '新增備註', note_label: '新備註', note_added: '備註已新增。',
      legend_few: '空心點、斜線條和 * 表示樣本過少的數字。',
      legend_heat: '顏色越深平均越高；每格都寫出數值。* = 樣本過少，— = 無回答。',
      cases_scope: '佇列顯示目前待辦：只依問卷篩選，不受日期和其他篩選影響。',
      loading: '載入中…', loaded: '資料已更新（{t}）。',
      other_value: '其他值…', other_value_n: '其他值…（另有 {n} 個未列出）', other_value_label: '輸入確切的值（Enter 套用）',
      other_group: '其他（1 組）', other_groups: '其他（{n} 組）',
      heat_omitted_1: '另有 1 欄未顯示（只顯示回答最多的 50 欄）。', heat_omitted: '另有 {n} 欄未顯示（只顯示回答最多的 50 欄）。',
      warming: '資料正在準備中（已完成 {p}%），準備好後會自動顯示。'
    },
    en: {
      skip: 'Skip to content', dashboard: 'dashboard', to_admin: 'Surveys', language: 'Language', logout: 'Log out',
      login_title: 'Log in', token_label: 'Admin token', login: 'Log in',
      token_help: 'Printed by `cargo xtask serve` or `manyi admin-token create`. Kept in this tab only.',
      token_missing: 'Paste an admin token.', token_rejected: 'This token is not valid (unknown or revoked). Log in again.',
      session_expired: 'Your session has expired: log in again.', unexpected: 'The request failed: {e}',
      dashboard_title: 'Satisfaction dashboard', filters: 'Filters', period: 'Period', presets: 'Quick ranges',
      last_7: '7 days', last_30: '30 days', last_90: '90 days', from: 'From', to: 'To',
      survey: 'Survey', channel: 'Channel', segment: 'Segment', locale: 'Language', tag: 'Tag', version: 'Survey version',
      all: 'All', none_value: '(none)', include_flagged: 'Include flagged answers',
      excluded_n: '{n} flagged answers excluded', excluded_none: 'No answers excluded',
      included_flagged: 'Flagged answers included', export: 'Export this selection', export_ready: 'Exported {name} ({size})',
      export_failed: 'The export failed: {e}', bad_range: 'The start date must not be after the end date.',
      kpis: 'Key figures', period_text: '{from} to {to} ({days} days, UTC+8), compared with {pfrom} to {pto}',
      kpi_help: '± is the 95 % margin of error. Figures from fewer than {min} answers are marked “too few answers”.',
      k_responses: 'Answers', k_nps: 'NPS', k_csat: 'CSAT (share of 4–5)', k_ces: 'CES (mean, 7 = very easy)',
      k_rate: 'Response rate', k_median: 'Median completion time', k_cases: 'Open cases',
      few: 'too few answers', no_data: 'no data', vs_prev: 'vs previous period', no_prev: 'no previous figure', no_change: 'same as previous period',
      n_of: 'n = {n}', nps_counts: 'promoters {p} · passives {a} · detractors {d}', csat_mean: 'mean {m}',
      ces_easy: '{p}% easy', rate_of: '{r} of {s} shown', rate_none: 'no impression data',
      timed_n: '{n} timed', cases_overdue: '{n} overdue', cases_no_prev: 'no history to compare cases with',
      seconds: '{n} s', pp: 'pp', pts: 'pts',
      trend: 'Trend', metric: 'Figure', interval: 'Interval', day: 'Day', week: 'Week', month: 'Month',
      m_nps: 'NPS', m_csat: 'CSAT top-2-box %', m_ces: 'CES mean', m_responses: 'Answers',
      as_table: 'Show the figures as a table', col_period: 'Period', col_value: 'Value', col_n: 'n', col_note: 'Note',
      col_group: 'Group', col_dimension: 'Dimension', col_option: 'Option', col_count: 'Count', col_pct: 'Share',
      breakdown: 'Breakdown', by: 'By', heatmap: 'SERVQUAL dimension × channel (mean 1–5)',
      reasons: 'Follow-up reasons', respondents: '{n} answered', hatched_few: 'hatched / hollow = too few answers',
      chart_trend: '{metric} by {interval}, {from} to {to}', chart_bars: '{metric} by {by}',
      chart_heat: 'Mean of each SERVQUAL dimension per channel', chart_reasons: 'Share of answers picking each option of {q}',
      chart_empty: 'No data in this range.', table_below: 'The table below has every figure.',
      reliability: 'Reliability', responsiveness: 'Responsiveness', assurance: 'Assurance', empathy: 'Empathy', tangibles: 'Tangibles',
      cases: 'Case queue', show: 'Show', cs_open_all: 'Open (open, contacted)', cs_resolved: 'Resolved, awaiting verification', cs_all: 'All',
      cases_summary: '{n} cases, {o} overdue', cases_more: ' (first {k} shown)', no_cases: 'No cases.',
      overdue: '⚠ Overdue', due: 'due {t}', owner: 'owner: {o}', unassigned: 'unassigned', customer: 'customer: {c}',
      details: 'Details', hide_details: 'Hide', change_status: 'Change to', apply: 'Apply',
      status_changed: 'Case #{id} is now “{s}”.', opened_at: 'opened {t}',
      st_open: 'open', st_contacted: 'contacted', st_resolved: 'resolved', st_verified: 'verified', st_closed: 'closed',
      pr_urgent: 'urgent', pr_high: 'high', pr_normal: 'normal',
      d_opened: 'Opened', d_response: 'Response', d_answers: 'Answers', d_verification: 'Verification', d_link: 'Verification link', new_link: 'New link', d_expired: 'Link expired: the customer can no longer answer',
      d_answered: 'Customer answered: {r}, score {s}', d_waiting: 'Waiting for the customer', d_notes: 'Notes', d_history: 'History',
      d_none: 'none', yes: 'yes', no: 'no', add_note: 'Add note', note_label: 'New note', note_added: 'Note added.',
      legend_few: 'Hollow dots, hatched bars and * mark figures from too few answers.',
      legend_heat: 'Darker = higher mean; every cell shows its value. * = too few answers, — = no answers.',
      cases_scope: 'The queue is today\'s work: it follows the survey filter, not the dates or the other filters.',
      loading: 'Loading…', loaded: 'Figures updated ({t}).',
      other_value: 'Other value…', other_value_n: 'Other value… ({n} more not listed)', other_value_label: 'Exact value (Enter to apply)',
      other_group: 'Other (1 group)', other_groups: 'Other ({n} groups)',
      heat_omitted_1: '1 more column not shown (the 50 with the most answers are).',
      heat_omitted: '{n} more columns not shown (the 50 with the most answers are).',
      warming: 'The figures are being prepared ({p} % done); they will appear here by themselves.'
    }
  };

  var $ = function (id) { return document.getElementById(id); };
  var lang = pickLang();
  var signedIn = false;
  // The last answers of the reports API, kept to redraw on resize and
  // language change without asking again.
  var last = null;
  var surveys = [];
  var loadSeq = 0;
  // While the reports answer 503 reports_warming_up: the one pending retry
  // of `start` (every failing call re-arms this timer instead of adding
  // its own, so retries never pile up).
  var warmTimer = null;

  // ---- i18n and formatting ----------------------------------------------

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

  /** A number with at most `digits` decimals in the page's language; '—' for null. */
  function num(v, digits) {
    if (v === null || v === undefined || isNaN(v)) return '—';
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits === undefined ? 1 : digits }).format(v);
  }

  /** A signed change, e.g. +3.2 / −1.5 / 0. */
  function signed(v, digits) {
    if (v === null || v === undefined) return '—';
    var s = num(Math.abs(v), digits);
    if (v > 0) return '+' + s;
    if (v < 0) return '−' + s;
    return s;
  }

  function dateTime(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  }

  function groupLabel(key) { return key === null || key === undefined || key === '' ? t('none_value') : String(key); }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function applyLang() {
    document.documentElement.lang = lang;
    $('ui-lang').value = lang;
    document.querySelectorAll('[data-i18n]').forEach(function (e) { e.textContent = t(e.dataset.i18n); });
  }

  function say(msg, isError) {
    var s = $('status');
    s.textContent = msg || '';
    s.classList.toggle('error', !!isError);
    s.classList.remove('warming');
  }

  // ---- charts: pure functions, data in → SVG markup out ------------------
  // No DOM access: the caller passes the width and the colours. Every chart
  // has a <title>/<desc> and its figures are also printed in it (values on
  // bars and cells), and the page puts a table with the same figures next
  // to it; low-sample figures differ by shape (hollow dot, hatching, '*'),
  // not by colour alone.

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function r1(v) { return Math.round(v * 10) / 10; }

  /** About `count` round tick values covering [lo, hi]. */
  function ticks(lo, hi, count) {
    if (hi === lo) { hi = lo + 1; }
    var raw = (hi - lo) / Math.max(1, count);
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; })
      .filter(function (s) { return s >= raw; })[0] || 10 * mag;
    // From the step at or below `lo` to the first at or above `hi`.
    var out = [], v = Math.floor(lo / step) * step;
    out.push(Math.round(v * 1e6) / 1e6);
    while (v < hi - step * 1e-9) {
      v += step;
      out.push(Math.round(v * 1e6) / 1e6);
    }
    if (out.length < 2) out.push(Math.round((v + step) * 1e6) / 1e6);
    return out;
  }

  /** `open` + the label + `</text>`; a label longer than `max` characters is
   *  cut with '…' and keeps its full text as a tooltip. */
  function clipped(label, max, open) {
    label = String(label);
    if (label.length <= max) return open + esc(label) + '</text>';
    return '<g><title>' + esc(label) + '</title>' + open + esc(label.slice(0, max - 1) + '…') + '</text></g>';
  }

  function svgOpen(w, h, id, title, desc) {
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + w + ' ' + h + '" width="' + w + '" height="' + h +
      '" role="img" aria-labelledby="' + id + '-t ' + id + '-d"><title id="' + id + '-t">' + esc(title) +
      '</title><desc id="' + id + '-d">' + esc(desc || '') + '</desc>';
  }

  /**
   * A line chart. `points`: [{label, value (number|null: a gap), few}];
   * opts: {id, width, height, title, desc, format(v) → text, min, max}.
   */
  function lineChart(points, opts) {
    var w = Math.max(240, Math.round(opts.width || 600)), h = opts.height || 220;
    var m = { l: 44, r: 12, t: 12, b: 30 };
    var vals = points.map(function (p) { return p.value; }).filter(function (v) { return v !== null && v !== undefined; });
    var out = svgOpen(w, h, opts.id, opts.title, opts.desc);
    if (!vals.length) {
      return out + '<text x="' + w / 2 + '" y="' + h / 2 + '" text-anchor="middle" class="muted">' +
        esc(opts.empty || '') + '</text></svg>';
    }
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (opts.min !== undefined) lo = Math.min(lo, opts.min);
    if (opts.max !== undefined) hi = Math.max(hi, opts.max);
    // A flat or single-point series gets a scale of at least `minSpan`
    // around it, so one NPS of 16.7 does not look like a dramatic change.
    if (opts.minSpan && hi - lo < opts.minSpan) {
      var mid = (hi + lo) / 2;
      lo = mid - opts.minSpan / 2;
      hi = mid + opts.minSpan / 2;
      if (opts.floor !== undefined && lo < opts.floor) { hi += opts.floor - lo; lo = opts.floor; }
      if (opts.ceil !== undefined && hi > opts.ceil) { lo -= hi - opts.ceil; hi = opts.ceil; }
    }
    var ts = ticks(lo, hi, 4);
    lo = ts[0]; hi = ts[ts.length - 1];
    var pw = w - m.l - m.r, ph = h - m.t - m.b;
    var n = points.length;
    var x = function (i) { return m.l + (n === 1 ? pw / 2 : i * pw / (n - 1)); };
    var y = function (v) { return m.t + ph - (v - lo) / (hi - lo || 1) * ph; };
    var fmt = opts.format || function (v) { return String(v); };
    ts.forEach(function (v) {
      out += '<line class="grid" x1="' + m.l + '" x2="' + (w - m.r) + '" y1="' + r1(y(v)) + '" y2="' + r1(y(v)) + '"/>' +
        '<text x="' + (m.l - 6) + '" y="' + r1(y(v) + 4) + '" text-anchor="end" class="muted">' + esc(fmt(v)) + '</text>';
    });
    // At most one x label per ~70 px: every `every`-th point from the
    // first, and the last one when it does not crowd the one before.
    var every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(pw / 70))));
    var labelled = [];
    for (var i = 0; i < n; i += every) labelled.push(i);
    if (labelled[labelled.length - 1] !== n - 1 && n - 1 - labelled[labelled.length - 1] >= every * 0.75) labelled.push(n - 1);
    labelled.forEach(function (i) {
      var anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
      out += '<text x="' + r1(x(i)) + '" y="' + (h - 8) + '" text-anchor="' + anchor + '" class="muted">' + esc(points[i].label) + '</text>';
    });
    var d = '', pen = false;
    points.forEach(function (p, i) {
      if (p.value === null || p.value === undefined) { pen = false; return; }
      d += (pen ? 'L' : 'M') + r1(x(i)) + ' ' + r1(y(p.value));
      pen = true;
    });
    out += '<path class="line" d="' + d + '"/>';
    points.forEach(function (p, i) {
      if (p.value === null || p.value === undefined) return;
      out += '<circle class="dot' + (p.few ? ' few' : '') + '" cx="' + r1(x(i)) + '" cy="' + r1(y(p.value)) + '" r="' +
        (p.few ? 4 : 3.5) + '"><title>' + esc(p.label + ': ' + fmt(p.value) + (p.few ? ' (' + (opts.fewText || '*') + ')' : '')) +
        '</title></circle>';
    });
    return out + '</svg>';
  }

  /**
   * Horizontal bars (fit a phone). `rows`: [{label, value (number|null), few}];
   * opts: {id, width, title, desc, format, min, max}. Each bar carries its value
   * as text; low-sample bars are hatched and their value gets a '*'.
   */
  function barChart(rows, opts) {
    var w = Math.max(240, Math.round(opts.width || 600));
    var rowH = 30, m = { t: 6, b: 6 };
    var h = m.t + m.b + Math.max(1, rows.length) * rowH;
    var out = svgOpen(w, h, opts.id, opts.title, opts.desc);
    var vals = rows.map(function (r) { return r.value; }).filter(function (v) { return v !== null && v !== undefined; });
    if (!rows.length) {
      return out + '<text x="' + w / 2 + '" y="' + (h / 2 + 4) + '" text-anchor="middle" class="muted">' + esc(opts.empty || '') + '</text></svg>';
    }
    var lo = Math.min.apply(null, vals.concat([0, opts.min === undefined ? 0 : opts.min]));
    var hi = Math.max.apply(null, vals.concat([0, opts.max === undefined ? 0 : opts.max]));
    if (hi === lo) hi = lo + 1;
    var labelW = Math.min(Math.round(w * 0.38), 160), valueW = 64;
    var x0 = labelW + 8, pw = w - x0 - valueW;
    var x = function (v) { return x0 + (v - lo) / (hi - lo) * pw; };
    var fmt = opts.format || function (v) { return String(v); };
    var hatch = opts.id + '-few';
    out += '<defs><pattern id="' + hatch + '" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="6" height="6" fill="none"/><line x1="0" y1="0" x2="0" y2="6" style="stroke:var(--c1);stroke-width:3"/></pattern></defs>';
    if (lo < 0) out += '<line class="axis" x1="' + r1(x(0)) + '" x2="' + r1(x(0)) + '" y1="' + m.t + '" y2="' + (h - m.b) + '"/>';
    rows.forEach(function (r, i) {
      var cy = m.t + i * rowH + rowH / 2;
      out += clipped(r.label, Math.max(4, Math.floor(labelW / 7.5)),
        '<text x="' + labelW + '" y="' + r1(cy + 4) + '" text-anchor="end">');
      if (r.value === null || r.value === undefined) {
        out += '<text x="' + x0 + '" y="' + r1(cy + 4) + '" class="muted">—</text>';
        return;
      }
      var a = x(Math.min(0, r.value)), b = x(Math.max(0, r.value));
      var cls = 'bar' + (r.value < 0 ? ' neg' : '') + (r.few ? ' few' : '') + (r.other ? ' other' : '');
      out += '<rect class="' + cls + '" x="' + r1(a) + '" y="' + r1(cy - 9) + '" width="' + r1(Math.max(1, b - a)) +
        '" height="18"' + (r.few ? ' style="fill:url(#' + hatch + ')"' : '') + '/>';
      var tx = r.value < 0 ? a - 4 : b + 4, anchor = r.value < 0 ? 'end' : 'start';
      if (r.value < 0 && tx < x0 + 24) { tx = x(0) + 4; anchor = 'start'; }
      out += '<text x="' + r1(tx) + '" y="' + r1(cy + 4) + '" text-anchor="' + anchor + '" class="value">' +
        esc(fmt(r.value) + (r.few ? '*' : '')) + '</text>';
    });
    return out + '</svg>';
  }

  function hexRgb(hex) {
    var h = String(hex).trim().replace('#', '');
    if (h.length === 3) h = h.split('').map(function (c) { return c + c; }).join('');
    var n = parseInt(h, 16);
    return isNaN(n) ? [128, 128, 128] : [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  /** The colour at `f` (0…1) between `lo` and `hi` (#rrggbb), and a readable text colour on it. */
  function ramp(lo, hi, f) {
    var a = hexRgb(lo), b = hexRgb(hi);
    var c = a.map(function (v, i) { return Math.round(v + (b[i] - v) * Math.max(0, Math.min(1, f))); });
    var lum = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    var L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return { fill: 'rgb(' + c.join(',') + ')', text: L > 0.3 ? '#000' : '#fff' };
  }

  /**
   * A heat map: `rows` and `cols` labels, `cell(r, c)` → {value, few}|null.
   * opts: {id, width, title, desc, min, max, lo, hi (colours), format}.
   * Every cell prints its value; low-sample cells get a '*' and a dashed edge.
   */
  function heatMap(rows, cols, cell, opts) {
    var labelW = 104, cellH = 34;
    var cellW = Math.max(52, Math.floor(((opts.width || 600) - labelW) / Math.max(1, cols.length)));
    var w = labelW + cellW * cols.length, h = 24 + cellH * rows.length;
    var out = svgOpen(w, h, opts.id, opts.title, opts.desc);
    var fmt = opts.format || function (v) { return String(v); };
    cols.forEach(function (c, j) {
      out += clipped(c.label, Math.max(3, Math.floor(cellW / 7.5)),
        '<text x="' + (labelW + j * cellW + cellW / 2) + '" y="16" text-anchor="middle">');
    });
    rows.forEach(function (r, i) {
      var y0 = 24 + i * cellH;
      out += '<text x="' + (labelW - 6) + '" y="' + (y0 + cellH / 2 + 4) + '" text-anchor="end">' + esc(r.label) + '</text>';
      cols.forEach(function (c, j) {
        var x0 = labelW + j * cellW, v = cell(r, c);
        if (!v || v.value === null || v.value === undefined) {
          out += '<rect x="' + (x0 + 1) + '" y="' + (y0 + 1) + '" width="' + (cellW - 2) + '" height="' + (cellH - 2) +
            '" style="fill:none;stroke:var(--line)"/><text x="' + (x0 + cellW / 2) + '" y="' + (y0 + cellH / 2 + 4) +
            '" text-anchor="middle" class="muted">—</text>';
          return;
        }
        var col = ramp(opts.lo, opts.hi, (v.value - opts.min) / ((opts.max - opts.min) || 1));
        out += '<rect x="' + (x0 + 1) + '" y="' + (y0 + 1) + '" width="' + (cellW - 2) + '" height="' + (cellH - 2) +
          '" rx="3" style="fill:' + col.fill + (v.few ? ';stroke:var(--fg);stroke-dasharray:3 2' : '') + '"/>' +
          '<text class="cell-text" x="' + (x0 + cellW / 2) + '" y="' + (y0 + cellH / 2 + 4) + '" text-anchor="middle" style="fill:' +
          col.text + '">' + esc(fmt(v.value) + (v.few ? '*' : '')) + '</text>';
      });
    });
    return out + '</svg>';
  }

  // Exposed for the browser tests, which feed them fixtures.
  window.manyiCharts = { lineChart: lineChart, barChart: barChart, heatMap: heatMap, ramp: ramp, ticks: ticks };

  // ---- API ------------------------------------------------------------

  function onUnauthorized() {
    if (signedIn) logout(t('session_expired'));
  }

  /** The admin API through session.js (same token, ApiError and 401 hook;
   * a 503 reports_warming_up error carries `progress` and `retryAfter`). */
  function request(method, path, body) {
    return session.request(method, path, body, onUnauthorized);
  }

  function api(method, path, body) {
    return session.json(method, path, body, onUnauthorized);
  }

  function fail(e) {
    if (e && e.status === 401) return;
    if (e && e.code === 'reports_warming_up') { warmingUp(e); return; }
    say(t('unexpected', { e: (e && e.message) || e }), true);
  }

  /**
   * The reports answered 503 reports_warming_up (the rollups are being
   * rebuilt after an upgrade, or far behind after a burst): the token was
   * accepted (the API checks it first), so the page is signed in; it says
   * how far the preparation is and runs `start` again after Retry-After —
   * on one timer, so however many calls failed, one retry follows.
   */
  function warmingUp(e) {
    signedIn = true;
    var pct = e.progress && typeof e.progress.folded_pct === 'number' ? e.progress.folded_pct : 0;
    document.body.setAttribute('data-warming', String(pct));
    sayWarming();
    // Retry-After within reason (the API sends 5): never a tight loop, never minutes.
    var secs = Math.min(60, Math.max(1, e.retryAfter || 5));
    clearTimeout(warmTimer);
    warmTimer = setTimeout(function () {
      warmTimer = null;
      start().catch(fail);
    }, secs * 1000);
  }

  /** The warm-up status in the page's language (again after a language change). */
  function sayWarming() {
    var pct = document.body.getAttribute('data-warming');
    if (pct === null) return;
    say(t('warming', { p: num(Number(pct), 1) }));
    $('status').classList.add('warming');
  }

  function stopWarming() {
    clearTimeout(warmTimer);
    warmTimer = null;
    document.body.removeAttribute('data-warming');
  }

  // ---- filter ------------------------------------------------------------

  /** Today in the reports' day (UTC+08:00), as YYYY-MM-DD. */
  function reportToday() {
    return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  }

  function addDays(day, n) {
    var d = new Date(day + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  var FILTER_FIELDS = ['survey', 'channel', 'segment', 'locale', 'tag'];
  // Filters whose values come from the public payload: their lists hold the
  // 50 values with the most answers (the breakdown's cap, docs/reports-api.md),
  // and an "Other value…" entry takes any other one as typed.
  var FREE_FIELDS = ['channel', 'segment', 'locale', 'tag'];
  // Option values that are no payload value: "(none)" and "Other value…".
  var NONE = '\u0000', OTHER = '\u0001';

  /** The value a filter select applies: while "Other value…" is being
   *  typed, the one applied before it. */
  function applied(sel) {
    return sel.value === OTHER ? (sel.dataset.prev || '') : sel.value;
  }

  /** The filter as report query parameters (dates, dimensions, include_flagged). */
  function filterParams() {
    var p = new URLSearchParams();
    p.set('from', $('f-from').value);
    p.set('to', $('f-to').value);
    FILTER_FIELDS.forEach(function (f) {
      var v = applied($('f-' + f));
      // The "(none)" option stands for responses without a value: `channel=`.
      if (v === NONE) p.set(f, '');
      else if (v) p.set(f, v);
    });
    p.set('include_flagged', $('f-flagged').checked ? 'true' : 'false');
    return p;
  }

  function withParams(path, extra) {
    var p = filterParams();
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return path + '?' + p.toString();
  }

  function setPreset(days) {
    var to = reportToday();
    $('f-to').value = to;
    $('f-from').value = addDays(to, -(days - 1));
    markPreset();
  }

  function markPreset() {
    var from = $('f-from').value, to = $('f-to').value;
    document.querySelectorAll('[data-preset]').forEach(function (b) {
      var days = Number(b.dataset.preset);
      b.setAttribute('aria-pressed', String(to === reportToday() && from === addDays(to, -(days - 1))));
    });
  }

  /** Keeps the filter in the address (shareable, survives a reload). */
  function saveFilterToUrl() {
    var p = filterParams();
    p.set('interval', currentInterval());
    history.replaceState(null, '', location.pathname + '?' + p.toString());
  }

  function restoreFilterFromUrl() {
    var p = new URLSearchParams(location.search);
    var day = /^\d{4}-\d{2}-\d{2}$/;
    if (day.test(p.get('from') || '') && day.test(p.get('to') || '')) {
      $('f-from').value = p.get('from');
      $('f-to').value = p.get('to');
      markPreset();
    } else setPreset(30);
    FILTER_FIELDS.forEach(function (f) {
      if (!p.has(f) || (f === 'survey' && p.get(f) === '')) return;
      var v = p.get(f) === '' ? NONE : p.get(f);
      ensureOption($('f-' + f), v, v === NONE ? t('none_value') : v);
      $('f-' + f).value = v;
      $('f-' + f).dataset.prev = v;
    });
    $('f-flagged').checked = p.get('include_flagged') === 'true';
    var interval = p.get('interval');
    if (['day', 'week', 'month'].indexOf(interval) >= 0) {
      document.querySelector('input[name=interval][value=' + interval + ']').checked = true;
    }
  }

  /** Adds the option `value` unless the select has it (before "Other value…"). */
  function ensureOption(select, value, label) {
    var exists = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!exists) select.insertBefore(el('option', { value: value, text: label }), select.querySelector('option[data-other]'));
  }

  /**
   * Fills a filter select with `values` (keeping "All" and the current
   * choice). `more`, for the payload's dimensions, adds "Other value…":
   * how many values the list leaves out (0 when none).
   */
  function fillSelect(select, values, more) {
    var current = applied(select), typing = select.value === OTHER;
    while (select.options.length > 1) select.remove(1);
    values.forEach(function (v) {
      if (v.value === null) select.appendChild(el('option', { value: NONE, text: t('none_value') }));
      else select.appendChild(el('option', { value: v.value, text: v.label || v.value }));
    });
    if (more !== undefined) select.appendChild(el('option', { value: OTHER, 'data-other': String(more) }));
    if (current) ensureOption(select, current, current === NONE ? t('none_value') : current);
    labelChoices(select);
    select.value = typing ? OTHER : current;
  }

  /** The texts of a select's own options in the page's language. */
  function labelChoices(select) {
    Array.prototype.forEach.call(select.options, function (o) {
      if (o.value === NONE) o.textContent = t('none_value');
      else if (o.value === OTHER) {
        var more = Number(o.dataset.other);
        o.textContent = more > 0 ? t('other_value_n', { n: num(more, 0) }) : t('other_value');
      }
    });
  }

  /** A filter select changed: apply it, or open the entry for a value it does not list. */
  function picked(dim) {
    var sel = $('f-' + dim);
    if (sel.value === OTHER) {
      $('f-' + dim + '-entry').hidden = false;
      return;
    }
    closeEntry(dim);
    sel.dataset.prev = sel.value;
    load();
  }

  function closeEntry(dim) {
    $('f-' + dim + '-entry').hidden = true;
    $('f-' + dim + '-text').value = '';
  }

  /** Applies the typed value (exactly as typed: values are compared as
   *  stored); an empty entry goes back to the choice before it. */
  function applyEntry(dim) {
    var sel = $('f-' + dim), v = $('f-' + dim + '-text').value;
    if ($('f-' + dim + '-entry').hidden) return;
    closeEntry(dim);
    if (!v.trim()) {
      sel.value = sel.dataset.prev || '';
      return;
    }
    ensureOption(sel, v, v);
    sel.value = v;
    sel.dataset.prev = v;
    sel.focus();
    load();
  }

  function currentInterval() {
    var c = document.querySelector('input[name=interval]:checked');
    return c ? c.value : 'day';
  }

  // ---- loading -----------------------------------------------------------

  /**
   * The filter selects' choices: surveys from the admin API, channels,
   * segments, locales and tags as the reports know them for the period
   * (whatever else is filtered, so a choice never hides the others). The
   * breakdown lists the 50 values with the most answers: junk values sent
   * to the public API cannot push the others out of reach, since
   * "Other value…" takes any value as typed. When values are left out,
   * "(none)" is offered as well (it may be one of them).
   */
  function loadChoices() {
    var base = new URLSearchParams({ from: $('f-from').value, to: $('f-to').value, include_flagged: 'true' });
    var by = function (dim) { return api('GET', '/api/reports/breakdown?' + base.toString() + '&by=' + dim); };
    return Promise.all([api('GET', '/api/surveys'), by('channel'), by('segment'), by('locale'), by('tag')])
      .then(function (r) {
        surveys = r[0] || [];
        fillSelect($('f-survey'), surveys.map(function (s) { return { value: s.survey_id }; }));
        FREE_FIELDS.forEach(function (dim, i) {
          var bd = r[i + 1];
          var values = (bd.groups || []).map(function (g) { return { value: g.key }; });
          var more = bd.other ? bd.other.groups : 0;
          // `tag` lists no "(none)": responses without tags are in no tag group.
          if (more && dim !== 'tag' && !values.some(function (v) { return v.value === null; })) values.push({ value: null });
          fillSelect($('f-' + dim), values, more);
        });
      });
  }

  function casesPath(extra) {
    var p = new URLSearchParams(extra);
    if ($('f-survey').value && $('f-survey').value !== '\u0000') p.set('survey', $('f-survey').value);
    return '/api/cases?' + p.toString();
  }

  /**
   * Everything the page shows for the current filter, in parallel; rejects
   * when a request fails (see `load` for the event handlers' version).
   */
  function fetchAndRender() {
    if ($('f-from').value > $('f-to').value) {
      say(t('bad_range'), true);
      $('f-from').setAttribute('aria-invalid', 'true');
      return Promise.resolve();
    }
    $('f-from').removeAttribute('aria-invalid');
    saveFilterToUrl();
    var seq = ++loadSeq;
    // While warming up, the progress stays on screen through each retry.
    if (!document.body.hasAttribute('data-warming')) say(t('loading'));
    document.body.setAttribute('aria-busy', 'true');
    var done = function () { if (seq === loadSeq) document.body.removeAttribute('aria-busy'); };
    return Promise.all([
      api('GET', withParams('/api/reports/summary')),
      api('GET', withParams('/api/reports/trend', { interval: currentInterval() })),
      api('GET', withParams('/api/reports/breakdown', { by: $('breakdown-by').value })),
      api('GET', withParams('/api/reports/heatmap', { by: 'channel' })),
      api('GET', withParams('/api/reports/reasons')),
      loadCases(),
      openCaseCounts()
    ]).then(function (r) {
      if (seq !== loadSeq) return; // a newer filter won
      var counts = r[6] || { open: r[5].overdue.total + r[5].other.total, overdue: r[5].overdue.total };
      last = { summary: r[0], trend: r[1], breakdown: r[2], heat: r[3], reasons: r[4],
               openCases: counts.open, overdueCases: counts.overdue, cases: r[5] };
      render();
      document.body.setAttribute('data-figures', String(seq));
      // The reasons' option labels come from the survey definitions: fetched
      // after the figures are shown (once per survey), not before them.
      var ids = r[4].questions.map(function (q) { return q.survey_id; });
      return loadDefs(ids).then(function () {
        if (seq !== loadSeq) return;
        renderReasons(last.reasons);
        document.body.setAttribute('data-loaded', String(seq));
        say(t('loaded', { t: new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(new Date()) }));
        done();
      });
    }, function (e) {
      done();
      throw e;
    });
  }

  /** `fetchAndRender` for event handlers: failures are shown, not thrown. */
  function load() {
    return fetchAndRender().catch(fail);
  }

  /**
   * The open-cases tile's figures. When the queue already lists the open
   * cases (its default), its totals are the figures: no request.
   */
  function openCaseCounts() {
    if ($('cases-status').value === 'open') return Promise.resolve(null);
    return Promise.all([
      api('GET', casesPath({ status: 'open,contacted', per_page: '1' })),
      api('GET', casesPath({ status: 'open,contacted', overdue: 'true', per_page: '1' }))
    ]).then(function (r) { return { open: r[0].total, overdue: r[1].total }; });
  }

  /** The queue: overdue first (the API's own `overdue=true`), then the rest by due time. */
  function loadCases() {
    var which = $('cases-status').value;
    var status = which === 'open' ? 'open,contacted' : which === 'resolved' ? 'resolved' : null;
    var q = function (extra) {
      // Every overdue case (up to 100), then the next 50 by due time.
      var p = { per_page: extra.overdue === 'true' ? '100' : '50' };
      if (status) p.status = status;
      Object.keys(extra).forEach(function (k) { p[k] = extra[k]; });
      return api('GET', casesPath(p));
    };
    return Promise.all([q({ overdue: 'true' }), q({ overdue: 'false' })]).then(function (r) {
      return { overdue: r[0], other: r[1] };
    });
  }

  // ---- rendering -----------------------------------------------------------

  function render() {
    if (!last) return;
    renderFlagged(last.summary);
    renderKpis(last.summary, last.openCases, last.overdueCases);
    renderTrend(last.trend);
    renderBreakdown(last.breakdown);
    renderHeat(last.heat);
    renderReasons(last.reasons);
    renderCases(last.cases);
  }

  function renderFlagged(s) {
    var n = s.current.excluded_flagged;
    $('excluded').textContent = s.include_flagged ? t('included_flagged') :
      n > 0 ? t('excluded_n', { n: num(n, 0) }) : t('excluded_none');
    $('excluded').setAttribute('data-excluded', String(n));
  }

  function chartWidth(id) {
    var w = $(id).clientWidth;
    return w > 0 ? w : 600;
  }

  /** The metrics the trend and breakdown can show, read from a `Kpis`. */
  var METRICS = {
    nps: { label: 'm_nps', get: function (k) { return k.nps && k.nps.score; }, few: function (k) { return !!(k.nps && k.nps.low_sample); },
           n: function (k) { return k.nps ? k.nps.n : 0; }, fmt: function (v) { return num(v, 1); }, min: -100, max: 100, span: 20 },
    csat: { label: 'm_csat', get: function (k) { return k.csat && k.csat.top2_pct; }, few: function (k) { return !!(k.csat && k.csat.low_sample); },
            n: function (k) { return k.csat ? k.csat.n : 0; }, fmt: function (v) { return num(v, 1) + '%'; }, min: 0, max: 100, span: 20 },
    ces: { label: 'm_ces', get: function (k) { return k.ces && k.ces.mean; }, few: function (k) { return !!(k.ces && k.ces.low_sample); },
           n: function (k) { return k.ces ? k.ces.n : 0; }, fmt: function (v) { return num(v, 2); }, min: 1, max: 7, span: 1 },
    responses: { label: 'm_responses', get: function (k) { return k.responses; }, few: function () { return false; },
                 n: function (k) { return k.responses; }, fmt: function (v) { return num(v, 0); }, min: 0, span: 5 }
  };

  function kpiTile(key, title, o) {
    var li = el('li', { 'class': 'kpi' + (o.few ? ' few' : ''), 'data-kpi': key, 'data-few': o.few ? 'true' : 'false' });
    li.appendChild(el('h3', { text: title }));
    var value = el('p', { 'class': 'value' }, [
      el('span', { 'class': 'figure', 'data-figure': '', text: o.value })
    ]);
    if (o.moe) value.appendChild(el('span', { 'class': 'moe', 'data-moe': '', text: o.moe }));
    li.appendChild(value);
    if (o.delta !== undefined) {
      var d = o.delta;
      var cls = 'delta';
      var text;
      if (d === null || d === undefined) text = t('no_prev');
      else if (d === 0) text = t('no_change');
      else {
        // Arrow and sign say the direction; colour only repeats whether it is good.
        if (o.better) cls += (d > 0) === (o.better === 'up') ? ' up' : ' down';
        text = (d > 0 ? '▲ ' : '▼ ') + o.deltaText + ' ' + t('vs_prev');
      }
      li.appendChild(el('p', { 'class': cls, 'data-delta': d === null || d === undefined ? '' : String(d), text: text }));
    }
    if (o.sub) li.appendChild(el('p', { 'class': 'n', 'data-sub': '', text: o.sub }));
    if (o.few) li.appendChild(el('span', { 'class': 'few-mark', text: '⚠ ' + t('few') }));
    return li;
  }

  function renderKpis(s, openCases, overdueCases) {
    var c = s.current, ch = s.change || {}, min = s.low_sample_threshold;
    $('kpi-period').textContent = t('period_text', { from: s.period.from, to: s.period.to, days: s.period.days,
      pfrom: s.previous_period.from, pto: s.previous_period.to });
    $('kpi-help').textContent = t('kpi_help', { min: min });
    var ul = $('kpis');
    ul.textContent = '';
    var moe = function (v, digits, unit) { return v === null || v === undefined ? null : '± ' + num(v, digits) + (unit || ''); };

    ul.appendChild(kpiTile('responses', t('k_responses'), {
      value: num(c.responses, 0), delta: ch.responses, deltaText: signed(ch.responses, 0), better: null,
      sub: s.include_flagged ? t('included_flagged') : t('excluded_n', { n: num(c.excluded_flagged, 0) })
    }));
    var nps = c.nps;
    ul.appendChild(kpiTile('nps', t('k_nps'), nps ? {
      value: num(nps.score, 1), moe: moe(nps.margin, 1), few: nps.low_sample,
      delta: ch.nps, deltaText: signed(ch.nps, 1) + ' ' + t('pts'), better: 'up',
      sub: t('n_of', { n: num(nps.n, 0) }) + ' · ' + t('nps_counts', { p: num(nps.promoters, 0), a: num(nps.passives, 0), d: num(nps.detractors, 0) })
    } : { value: '—', sub: t('no_data') }));
    var csat = c.csat;
    ul.appendChild(kpiTile('csat', t('k_csat'), csat ? {
      value: num(csat.top2_pct, 1) + '%', moe: moe(csat.top2_margin, 1, ' ' + t('pp')), few: csat.low_sample,
      delta: ch.csat_top2_pct, deltaText: signed(ch.csat_top2_pct, 1) + ' ' + t('pp'), better: 'up',
      sub: t('n_of', { n: num(csat.n, 0) }) + ' · ' + t('csat_mean', { m: num(csat.mean, 2) + (csat.mean_margin !== null ? ' ± ' + num(csat.mean_margin, 2) : '') })
    } : { value: '—', sub: t('no_data') }));
    var ces = c.ces;
    ul.appendChild(kpiTile('ces', t('k_ces'), ces ? {
      value: num(ces.mean, 2), moe: moe(ces.mean_margin, 2), few: ces.low_sample,
      delta: ch.ces_mean, deltaText: signed(ch.ces_mean, 2), better: 'up',
      sub: t('n_of', { n: num(ces.n, 0) }) + ' · ' + t('ces_easy', { p: num(ces.easy_pct, 1) })
    } : { value: '—', sub: t('no_data') }));
    // Response rate and median time carry no margin in the reports API (the
    // rate counts every impression, the median comes from duration buckets);
    // their "too few" mark uses the same threshold on shown / timed.
    ul.appendChild(kpiTile('response_rate', t('k_rate'), c.response_rate !== null && c.response_rate !== undefined ? {
      value: num(c.response_rate * 100, 1) + '%', few: c.shown < min,
      delta: ch.response_rate, deltaText: signed(ch.response_rate === null ? null : ch.response_rate * 100, 1) + ' ' + t('pp'), better: 'up',
      sub: t('rate_of', { r: num(c.responses + c.excluded_flagged, 0), s: num(c.shown, 0) })
    } : { value: '—', sub: t('rate_none') }));
    ul.appendChild(kpiTile('median_seconds', t('k_median'), c.median_seconds !== null && c.median_seconds !== undefined ? {
      value: t('seconds', { n: num(c.median_seconds, 1) }), few: c.timed < min,
      delta: ch.median_seconds, deltaText: t('seconds', { n: signed(ch.median_seconds, 1) }), better: null,
      sub: t('timed_n', { n: num(c.timed, 0) })
    } : { value: '—', sub: t('no_data') }));
    ul.appendChild(kpiTile('open_cases', t('k_cases'), {
      value: num(openCases, 0), sub: t('cases_overdue', { n: num(overdueCases, 0) }) + ' · ' + t('cases_no_prev')
    }));
  }

  function table(head, rows, numeric) {
    var tbl = el('table', {}, [el('thead', {}, [el('tr', {}, head.map(function (h, i) {
      return el('th', { scope: 'col', 'class': numeric && numeric[i] ? 'num' : null, text: h });
    }))])]);
    var body = el('tbody');
    rows.forEach(function (r) {
      body.appendChild(el('tr', {}, r.map(function (c, i) {
        return el(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, 'class': numeric && numeric[i] ? 'num' : null, text: c });
      })));
    });
    tbl.appendChild(body);
    return tbl;
  }

  function put(id, node) {
    var box = $(id);
    box.textContent = '';
    box.appendChild(node);
  }

  function bucketLabel(b, interval) {
    if (interval === 'month') return b.start.slice(0, 7);
    if (interval === 'week' || b.start !== b.end) return b.start.slice(5) + '–' + b.end.slice(5);
    return b.start.slice(5);
  }

  function renderTrend(tr) {
    var m = METRICS[$('trend-metric').value];
    var points = tr.buckets.map(function (b) {
      return { label: bucketLabel(b, tr.interval), value: m.get(b.kpis), few: m.few(b.kpis), n: m.n(b.kpis), bucket: b };
    });
    var title = t('chart_trend', { metric: t(m.label), interval: t(tr.interval), from: tr.period.from, to: tr.period.to });
    $('trend-chart').innerHTML = lineChart(points, {
      id: 'trend-svg', width: chartWidth('trend-chart'), title: title, desc: t('table_below') + ' ' + t('hatched_few'),
      format: m.fmt, min: m === METRICS.responses ? 0 : undefined, minSpan: m.span, floor: m.min, ceil: m.max,
      empty: t('chart_empty'), fewText: t('few')
    });
    put('trend-table', table([t('col_period'), t(m.label), t('col_n'), t('col_note')], points.map(function (p) {
      var b = p.bucket;
      return [b.start === b.end ? b.start : b.start + ' – ' + b.end, p.value === null || p.value === undefined ? '—' : m.fmt(p.value),
        num(p.n, 0), p.few ? t('few') : ''];
    }), [false, true, true, false]));
  }

  function renderBreakdown(bd) {
    var m = METRICS[$('breakdown-metric').value];
    var rows = bd.groups.map(function (g) {
      return { label: groupLabel(g.key), key: g.key, value: m.get(g.kpis), few: m.few(g.kpis), n: m.n(g.kpis) };
    });
    // Beyond the 50 listed groups the API sums the rest: one bar for all of
    // them, named with their number (it is not a group of its own).
    if (bd.other) {
      var o = bd.other.kpis;
      rows.push({ label: bd.other.groups === 1 ? t('other_group') : t('other_groups', { n: num(bd.other.groups, 0) }),
                  key: null, other: true, value: m.get(o), few: m.few(o), n: m.n(o) });
    }
    $('breakdown-chart').innerHTML = barChart(rows, {
      id: 'breakdown-svg', width: chartWidth('breakdown-chart'),
      title: t('chart_bars', { metric: t(m.label), by: t(bd.by) }), desc: t('table_below') + ' ' + t('hatched_few'),
      format: m.fmt, max: m === METRICS.csat ? 100 : undefined, empty: t('chart_empty')
    });
    put('breakdown-table', table([t(bd.by), t(m.label), t('col_n'), t('col_note')], rows.map(function (r) {
      return [r.label, r.value === null || r.value === undefined ? '—' : m.fmt(r.value), num(r.n, 0), r.few ? t('few') : ''];
    }), [false, true, true, false]));
  }

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function renderHeat(hm) {
    var cells = {};
    hm.cells.forEach(function (c) { cells[c.dimension + '\u0000' + c.key] = c; });
    var rows = (hm.dimensions || DIMENSIONS).map(function (d) { return { key: d, label: t(d) }; });
    var cols = hm.keys.map(function (k) { return { key: k, label: groupLabel(k) }; });
    var get = function (r, c) {
      var x = cells[r.key + '\u0000' + c.key];
      return x ? { value: x.mean, few: x.low_sample, n: x.n } : null;
    };
    if (!cols.length) {
      $('heat-chart').innerHTML = '<p class="empty">' + esc(t('chart_empty')) + '</p>';
    } else {
      $('heat-chart').innerHTML = heatMap(rows, cols, get, {
        id: 'heat-svg', width: chartWidth('heat-chart'), title: t('chart_heat'), desc: t('table_below'),
        min: 1, max: 5, lo: cssVar('--heat-lo') || '#fbe2d5', hi: cssVar('--heat-hi') || '#1f6feb',
        format: function (v) { return num(v, 2); }
      });
    }
    var trows = [];
    rows.forEach(function (r) {
      cols.forEach(function (c) {
        var v = get(r, c);
        if (v) trows.push([r.label, c.label, num(v.value, 2), num(v.n, 0), v.few ? t('few') : '']);
      });
    });
    put('heat-table', table([t('col_dimension'), t('channel'), t('col_value'), t('col_n'), t('col_note')], trows,
      [false, false, true, true, false]));
    // At most 50 columns (those with the most answers): say how many more had answers.
    var omitted = hm.omitted_keys || 0;
    var note = $('heat-omitted');
    note.hidden = omitted === 0;
    note.setAttribute('data-omitted', String(omitted));
    note.textContent = omitted === 0 ? '' : omitted === 1 ? t('heat_omitted_1') : t('heat_omitted', { n: num(omitted, 0) });
  }

  /** The option's label in the page's language from the survey definition, else its id. */
  function optionLabel(surveyId, questionId, option) {
    var def = defs[surveyId];
    if (!def) return option;
    var q = (def.questions || []).filter(function (x) { return x.id === questionId; })[0];
    var o = q && (q.options || []).filter(function (x) { return x.id === option; })[0];
    if (!o || !o.label) return option;
    return o.label[lang] || o.label[def.default_locale] || option;
  }

  function questionLabel(surveyId, questionId) {
    var def = defs[surveyId];
    var q = def && (def.questions || []).filter(function (x) { return x.id === questionId; })[0];
    var text = q && q.text && (q.text[lang] || q.text[def.default_locale]);
    return (text ? text + ' ' : '') + '(' + surveyId + ' · ' + questionId + ')';
  }

  var defs = {};

  /** Loads the definitions the reasons chart needs for its labels (once each). */
  function loadDefs(ids) {
    var missing = ids.filter(function (id) { return !(id in defs); });
    return Promise.all(missing.map(function (id) {
      return api('GET', '/api/surveys/' + encodeURIComponent(id)).then(function (d) { defs[id] = d.definition; },
        function () { defs[id] = null; });
    }));
  }

  function renderReasons(rs) {
    var box = $('reasons-chart');
    box.textContent = '';
    var tableBox = $('reasons-table');
    tableBox.textContent = '';
    if (!rs.questions.length) {
      box.appendChild(el('p', { 'class': 'empty', text: t('chart_empty') }));
      return;
    }
    rs.questions.forEach(function (q, i) {
      var title = questionLabel(q.survey_id, q.question);
      var rows = q.options.map(function (o) {
        return { label: optionLabel(q.survey_id, q.question, o.option), value: o.pct, count: o.count, few: q.respondents < rs.low_sample_threshold };
      });
      var fig = el('figure', { 'class': 'reason', 'data-question': q.survey_id + ':' + q.question });
      fig.appendChild(el('figcaption', { text: title + ' — ' + t('respondents', { n: num(q.respondents, 0) }) }));
      var holder = el('div');
      holder.innerHTML = barChart(rows, {
        id: 'reasons-svg-' + i, width: chartWidth('reasons-chart'), title: t('chart_reasons', { q: title }),
        desc: t('table_below'), format: function (v) { return num(v, 1) + '%'; }, min: 0, max: 100, empty: t('chart_empty')
      });
      fig.appendChild(holder);
      box.appendChild(fig);
      tableBox.appendChild(el('p', { 'class': 'help', text: title }));
      tableBox.appendChild(table([t('col_option'), t('col_count'), t('col_pct')], rows.map(function (r) {
        return [r.label, num(r.count, 0), num(r.value, 1) + '%'];
      }), [false, true, true]));
    });
  }

  // ---- case queue --------------------------------------------------------------

  function renderCases(cs) {
    // The API sorts by due time; within the overdue ones, the most urgent first.
    var overdue = cs.overdue.items.slice().sort(function (a, b) {
      return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || (a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : a.id - b.id);
    });
    var list = overdue.concat(cs.other.items);
    var total = cs.overdue.total + cs.other.total;
    $('cases-summary').textContent = t('cases_summary', { n: num(total, 0), o: num(cs.overdue.total, 0) }) +
      (list.length < total ? t('cases_more', { k: num(list.length, 0) }) : '');
    $('cases-summary').setAttribute('data-total', String(total));
    var ul = $('case-list');
    ul.textContent = '';
    if (!list.length) ul.appendChild(el('li', { 'class': 'help', text: t('no_cases') }));
    list.forEach(function (c) { ul.appendChild(caseItem(c)); });
  }

  function caseItem(c) {
    var detailId = 'case-detail-' + c.id;
    var li = el('li', { 'class': 'case', 'data-case-id': String(c.id), 'data-status': c.status, 'data-overdue': String(!!c.overdue) });
    li.appendChild(el('div', { 'class': 'case-head' }, [
      el('strong', { text: '#' + c.id }),
      c.overdue ? el('span', { 'class': 'badge overdue', text: t('overdue') }) : null,
      el('span', { 'class': 'badge p-' + c.priority, 'data-priority': c.priority, text: t('pr_' + c.priority) }),
      el('span', { 'class': 'badge', 'data-case-status': c.status, text: t('st_' + c.status) }),
      el('span', { text: c.reason || '' })
    ]));
    li.appendChild(el('div', { 'class': 'case-meta' }, [
      el('span', { text: t('due', { t: dateTime(c.due_at) }) }),
      el('span', { text: t('owner', { o: c.owner || t('unassigned') }) }),
      el('span', { text: t('customer', { c: c.customer }) }),
      c.survey_id ? el('span', { text: c.survey_id }) : null
    ]));
    var toggle = el('button', { type: 'button', 'class': 'secondary', 'aria-expanded': 'false', 'aria-controls': detailId,
      'data-case-details': String(c.id), text: t('details') });
    var actions = el('div', { 'class': 'case-actions' }, [toggle]);
    var next = NEXT_STATUS[c.status] || [];
    if (next.length) {
      var selId = 'case-status-' + c.id;
      var sel = el('select', { id: selId, 'data-case-next': String(c.id) }, next.map(function (s) {
        return el('option', { value: s, text: t('st_' + s) });
      }));
      var apply = el('button', { type: 'button', 'data-case-apply': String(c.id), text: t('apply') });
      apply.addEventListener('click', function () { changeStatus(c, sel.value, apply); });
      actions.appendChild(el('label', { 'for': selId, text: t('change_status') }));
      actions.appendChild(sel);
      actions.appendChild(apply);
    }
    li.appendChild(actions);
    var detail = el('div', { id: detailId, 'class': 'case-detail', hidden: 'hidden' });
    li.appendChild(detail);
    toggle.addEventListener('click', function () {
      var open = toggle.getAttribute('aria-expanded') === 'true';
      toggle.setAttribute('aria-expanded', String(!open));
      toggle.textContent = open ? t('details') : t('hide_details');
      detail.hidden = open;
      if (!open) loadDetail(c.id, detail);
    });
    return li;
  }

  // Verification links this tab made, by case id: the API shows a link only
  // in the answer that made it (only its hash is stored).
  var freshLinks = {};

  function changeStatus(c, status, button) {
    button.disabled = true;
    api('PATCH', '/api/cases/' + c.id, { status: status }).then(function (d) {
      if (d && d.verification && d.verification.link) freshLinks[c.id] = d.verification.link;
      say(t('status_changed', { id: c.id, s: t('st_' + status) }));
      return load();
    }, function (e) {
      button.disabled = false;
      fail(e);
    });
  }

  function loadDetail(id, box) {
    box.textContent = t('loading');
    api('GET', '/api/cases/' + id).then(function (d) { renderDetail(d, box); }, function (e) {
      box.textContent = '';
      fail(e);
    });
  }

  function renderDetail(d, box) {
    box.textContent = '';
    var dl = el('dl');
    var row = function (k, v) { dl.appendChild(el('dt', { text: k })); dl.appendChild(el('dd', {}, [v])); };
    row(t('d_opened'), dateTime(d.created_at));
    if (d.response) {
      row(t('d_response'), [d.response.order_id, d.response.channel, d.response.locale, dateTime(d.response.received_at)]
        .filter(Boolean).join(' · '));
      row(t('d_answers'), JSON.stringify(d.response.answers));
    }
    if (d.verification) {
      var v = d.verification;
      row(t('d_verification'), v.answered ? t('d_answered', { r: v.resolved ? t('yes') : t('no'), s: v.score }) +
        (v.comment ? ' — ' + v.comment : '') + (v.answered_at ? ' · ' + dateTime(v.answered_at) : '') : t(v.expired ? 'd_expired' : 'd_waiting'));
      var link = v.link || freshLinks[d.id];
      if (d.status === 'resolved') {
        var renew = el('button', { type: 'button', 'class': 'secondary', 'data-case-new-link': String(d.id), text: t('new_link') });
        renew.addEventListener('click', function () {
          renew.disabled = true;
          api('POST', '/api/cases/' + d.id + '/verification-link').then(function (r) {
            freshLinks[d.id] = r.verification.link;
            renderDetail(r, box);
          }, function (e) { renew.disabled = false; fail(e); });
        });
        row(t('d_link'), el('span', {}, [
          link && !v.expired ? el('a', { href: link, text: location.origin + link }) : null, ' ', renew]));
      }
    }
    var notes = el('ul', {}, (d.notes || []).map(function (n) {
      return el('li', { text: dateTime(n.created_at) + ' · ' + n.author + ': ' + n.body });
    }));
    row(t('d_notes'), d.notes && d.notes.length ? notes : t('d_none'));
    var hist = el('ul', {}, (d.history || []).map(function (h) {
      return el('li', { text: dateTime(h.at) + ' · ' + h.change + ': ' + (h.from || '—') + ' → ' + (h.to || '—') + ' (' + h.actor + ')' });
    }));
    row(t('d_history'), hist);
    box.appendChild(dl);
    var noteId = 'note-' + d.id;
    var input = el('input', { id: noteId, maxlength: '2000', autocomplete: 'off' });
    var add = el('button', { type: 'button', 'class': 'secondary', text: t('add_note') });
    add.addEventListener('click', function () {
      var body = input.value.trim();
      if (!body) { input.focus(); return; }
      add.disabled = true;
      api('POST', '/api/cases/' + d.id + '/notes', { body: body }).then(function () {
        say(t('note_added'));
        loadDetail(d.id, box);
      }, function (e) { add.disabled = false; fail(e); });
    });
    box.appendChild(el('div', { 'class': 'case-actions' }, [el('label', { 'for': noteId, text: t('note_label') }), input, add]));
  }

  // ---- exports ----------------------------------------------------------------

  function exportPath(format) {
    // The exports include flagged answers unless told not to: say it
    // explicitly, so the file holds what the dashboard shows.
    return withParams('/api/exports/responses.' + format);
  }

  function download(format, button) {
    var path = exportPath(format);
    button.disabled = true;
    button.setAttribute('data-href', path);
    button.removeAttribute('data-bytes');
    button.removeAttribute('data-error');
    request('GET', path).then(function (r) { return r.blob(); }).then(function (blob) {
      var name = 'manyi-responses-' + $('f-from').value + '-' + $('f-to').value + '.' + format;
      var url = URL.createObjectURL(blob);
      var a = el('a', { href: url, download: name, hidden: 'hidden' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      say(t('export_ready', { name: name, size: num(blob.size / 1024, 1) + ' KB' }));
      button.setAttribute('data-bytes', String(blob.size));
    }).catch(function (e) {
      button.setAttribute('data-error', (e && e.code) || 'failed');
      if (e && e.status === 401) return;
      say(t('export_failed', { e: (e && e.message) || e }), true);
    }).then(function () { button.disabled = false; });
  }

  // ---- session ----------------------------------------------------------------

  function show(view) {
    ['login-view', 'dash-view'].forEach(function (v) { $(v).hidden = v !== view; });
    $('logout').hidden = view === 'login-view';
  }

  function logout(message) {
    signedIn = false;
    stopWarming();
    session.clear();
    $('login-error').textContent = message || '';
    $('token').setAttribute('aria-invalid', message ? 'true' : 'false');
    say('');
    show('login-view');
    $('login-title').focus();
  }

  /**
   * After login (or with a token kept in the tab, or to retry while the
   * reports warm up): the figures and the filter choices in parallel.
   * Resolves signed in when both load, or when the reports are warming up
   * (the page then says so and retries by itself, see `warmingUp`);
   * rejects on any other failure, so the caller can tell a refused token
   * (401) from other problems.
   */
  function start() {
    // Shown first, so the charts are drawn at the width they get.
    show('dash-view');
    return Promise.all([loadChoices(), fetchAndRender()]).then(function () {
      signedIn = true;
      stopWarming();
    }, function (e) {
      if (e && e.code === 'reports_warming_up') warmingUp(e);
      else throw e;
    });
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
    start().then(function () {
      $('token').value = '';
      $('token').removeAttribute('aria-invalid');
      $('login-error').textContent = '';
      $('dash-title').focus();
    }, function (e) {
      if (e.status === 401) logout(t('token_rejected'));
      else $('login-error').textContent = t('unexpected', { e: e.message || e });
      $('token').focus();
    }).then(function () { $('login-submit').disabled = false; });
  }

  function init() {
    applyLang();
    restoreFilterFromUrl();
    $('ui-lang').addEventListener('change', function () {
      lang = $('ui-lang').value;
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* ignore */ }
      applyLang();
      FREE_FIELDS.forEach(function (f) { labelChoices($('f-' + f)); });
      render();
      sayWarming();
    });
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', function () { logout(''); });
    document.querySelectorAll('[data-preset]').forEach(function (b) {
      b.addEventListener('click', function () {
        setPreset(Number(b.dataset.preset));
        loadChoices().then(load, fail);
      });
    });
    ['f-from', 'f-to'].forEach(function (id) {
      $(id).addEventListener('change', function () {
        markPreset();
        if ($(id).value) loadChoices().then(load, fail);
      });
    });
    $('f-survey').addEventListener('change', load);
    FREE_FIELDS.forEach(function (f) {
      $('f-' + f).addEventListener('change', function () { picked(f); });
      var text = $('f-' + f + '-text');
      text.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter') { ev.preventDefault(); applyEntry(f); }
        else if (ev.key === 'Escape') { ev.preventDefault(); text.value = ''; applyEntry(f); $('f-' + f).focus(); }
      });
      // Leaving the field with a value applies it, as a select applies on change.
      text.addEventListener('change', function () { applyEntry(f); });
    });
    $('f-flagged').addEventListener('change', load);
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    document.querySelectorAll('input[name=interval]').forEach(function (r) {
      r.addEventListener('change', function () {
        saveFilterToUrl();
        api('GET', withParams('/api/reports/trend', { interval: currentInterval() })).then(function (tr) {
          last.trend = tr;
          renderTrend(tr);
        }, fail);
      });
    });
    $('trend-metric').addEventListener('change', function () { if (last) renderTrend(last.trend); });
    $('breakdown-metric').addEventListener('change', function () { if (last) renderBreakdown(last.breakdown); });
    $('breakdown-by').addEventListener('change', function () {
      api('GET', withParams('/api/reports/breakdown', { by: $('breakdown-by').value })).then(function (bd) {
        last.breakdown = bd;
        renderBreakdown(bd);
      }, fail);
    });
    $('cases-status').addEventListener('change', function () {
      loadCases().then(function (cs) { last.cases = cs; renderCases(cs); }, fail);
    });
    ['export-csv', 'export-ndjson'].forEach(function (id) {
      $(id).addEventListener('click', function () { download($(id).dataset.format, $(id)); });
    });
    var resizeTimer = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        if (!last) return;
        renderTrend(last.trend);
        renderBreakdown(last.breakdown);
        renderHeat(last.heat);
        renderReasons(last.reasons);
      }, 150);
    });

    if (token()) {
      start().catch(function (e) {
        if (e.status === 401) logout(t('session_expired'));
        else { show('dash-view'); fail(e); }
      });
    } else show('login-view');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
