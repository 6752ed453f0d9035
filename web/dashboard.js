// The reference dashboard: plain JavaScript, no build step, everything served by the binary.
//
// It asks only aggregate statistics (`statistics(boardCode:)`), which every role may read, so an
// analyst's token never asks for a clinical field. Coverage stays current through the
// `coverageChanged` subscription (graphql-transport-ws on /graphql/ws, the token in
// `connection_init`). Figures carry `data-testid` and `data-value` (the raw number) for the
// browser tests; the text is formatted the Vietnamese way.
(function () {
  'use strict';

  var TOKEN_KEY = 'cadre-health:token';
  var COND_CODES = ['I10', 'E11', 'I2'];
  var COND_LABELS = {
    I10: 'Tăng huyết áp (I10)',
    E11: 'Đái tháo đường típ 2 (E11)',
    I2: 'Bệnh tim thiếu máu cục bộ (I20–I25)',
  };
  var CLASS_LABELS = {
    A: 'Loại A: khỏe mạnh',
    B1: 'Loại B1: bệnh mạn tính ít ảnh hưởng công tác',
    B2: 'Loại B2: bệnh mạn tính cần điều trị thường xuyên, ổn định',
    C: 'Loại C: tạm thời không đủ sức khỏe công tác',
    D: 'Loại D: không đủ sức khỏe tiếp tục công tác',
    I: 'Loại I: rất khỏe', II: 'Loại II: khỏe', III: 'Loại III: trung bình',
    IV: 'Loại IV: yếu', V: 'Loại V: rất yếu',
  };
  var ROLE_LABELS = { ANALYST: 'cán bộ phân tích', CLINICIAN: 'bác sĩ', ADMIN: 'quản trị' };
  // What each `extensions.code` means to the user, in plain Vietnamese.
  var ERROR_TEXT = {
    UNAUTHENTICATED: 'Mã truy cập không hợp lệ hoặc đã hết hạn. Hãy dán mã mới.',
    FORBIDDEN: 'Bạn không có quyền xem số liệu này.',
    NOT_FOUND: 'Không tìm thấy đơn vị này trong phạm vi của bạn.',
    BAD_USER_INPUT: 'Giá trị nhập chưa đúng',
    CONFLICT: 'Số liệu vừa thay đổi. Hãy bấm Cập nhật.',
    TOO_MANY_REQUESTS: 'Bạn gửi quá nhiều yêu cầu. Hãy chờ một lát rồi thử lại.',
    SERVICE_UNAVAILABLE: 'Máy chủ đang bận. Hãy thử lại sau ít phút.',
    INTERNAL_SERVER_ERROR: 'Máy chủ gặp lỗi. Hãy thử lại sau.',
    NETWORK: 'Không kết nối được tới máy chủ.',
  };

  var num = new Intl.NumberFormat('vi-VN');
  var pct = new Intl.NumberFormat('vi-VN', {
    style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1,
  });

  var $ = function (id) { return document.getElementById(id); };

  var state = {
    token: null,
    viewer: null,
    path: [], // boards from the viewer's down to the one shown: [{ code, name, level }]
    coverage: null, // { total, byBoard }
    sort: { key: 'rate', dir: 'desc' },
    ws: null,
    unsubscribe: null,
    loadSeq: 0,
  };
  var charts = { coverage: null, activity: null };

  // ---- talking to the API -------------------------------------------------------------------

  function ApiError(code, message, field) {
    this.code = code;
    this.message = message;
    this.field = field;
  }

  function gql(query, variables) {
    return fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: 'Bearer ' + state.token,
      },
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (response) {
      return response.json().catch(function () {
        throw new ApiError(response.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'NETWORK');
      });
    }, function () {
      throw new ApiError('NETWORK');
    }).then(function (body) {
      if (body.errors && body.errors.length) {
        var e = body.errors[0];
        var ext = e.extensions || {};
        throw new ApiError(ext.code || 'INTERNAL_SERVER_ERROR', e.message, ext.field);
      }
      return body.data;
    });
  }

  function errorText(err) {
    var code = (err && err.code) || 'INTERNAL_SERVER_ERROR';
    var text = ERROR_TEXT[code] || 'Không lấy được số liệu.';
    if (code === 'BAD_USER_INPUT') {
      text += err.field ? ' (trường ' + err.field + ').' : '.';
    }
    return text + ' (mã lỗi: ' + code + ')';
  }

  function showError(err) {
    var box = $('error');
    box.textContent = errorText(err);
    box.dataset.code = (err && err.code) || 'INTERNAL_SERVER_ERROR';
    box.hidden = false;
    if (err && err.code === 'UNAUTHENTICATED') signOut();
  }

  function clearError() {
    $('error').hidden = true;
    $('error').textContent = '';
    delete $('error').dataset.code;
  }

  // ---- queries ------------------------------------------------------------------------------

  var VIEWER = '{ viewer { subject role board { code name level } } }';
  var CAMPAIGNS = 'query($year: Int!) { examCampaigns(filter: { year: $year }, first: 20) ' +
    '{ edges { node { year round } } } }';
  var CELL = 'board { code name level } eligible examined rate';
  var STATS = 'query($board: String!, $year: Int!, $round: Int!, $classification: Classification!, ' +
    '$codes: [String!]!, $from: Date!, $to: Date!) {\n' +
    '  statistics(boardCode: $board) {\n' +
    '    board { code name level }\n' +
    '    examCoverage(year: $year, round: $round) { total { ' + CELL + ' } byBoard { ' + CELL + ' } }\n' +
    '    healthClassDistribution(year: $year, classification: $classification) ' +
    '{ total { classes { class cadres } classified unclassified } }\n' +
    '    conditionPrevalence(codes: $codes) { total { cadres conditions { code cadres rate } } }\n' +
    '    clinicActivity(from: $from, to: $to, interval: MONTH) ' +
    '{ total { visits prescriptions referrals buckets { start visits prescriptions referrals } } }\n' +
    '  }\n}';
  var LIVE = 'subscription($year: Int!, $round: Int!, $board: String) {\n' +
    '  coverageChanged(year: $year, round: $round, boardCode: $board) {\n' +
    '    total { ' + CELL + ' } changed { ' + CELL + ' }\n  }\n}';

  function currentBoard() { return state.path[state.path.length - 1]; }

  function period() {
    return { year: parseInt($('year').value, 10), round: parseInt($('round').value, 10) };
  }

  // Today in Vietnam (UTC+7), as the API counts days.
  function todayInVietnam() {
    return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
  }

  // ---- signing in ---------------------------------------------------------------------------

  function signIn(token) {
    state.token = token.trim().replace(/^Bearer\s+/i, '');
    clearError();
    setStatus('Đang kiểm tra mã truy cập…');
    return gql(VIEWER).then(function (data) {
      var v = data.viewer;
      state.viewer = v;
      state.path = [v.board];
      sessionStorage.setItem(TOKEN_KEY, state.token);
      $('viewer').textContent = 'Đang xem với quyền ' + (ROLE_LABELS[v.role] || v.role) +
        ' của ' + v.board.name + ' (' + v.board.code + ').';
      $('viewer').dataset.board = v.board.code;
      $('viewer').dataset.role = v.role;
      $('token').value = '';
      $('sign-out').hidden = false;
      $('board-view').hidden = false;
      return defaultPeriod();
    }).then(function () {
      return load();
    }).catch(function (err) {
      setStatus('');
      showError(err);
    });
  }

  function signOut() {
    stopLive();
    state.viewer = null;
    state.path = [];
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    $('viewer').textContent = '';
    $('board-view').hidden = true;
    $('sign-out').hidden = true;
    $('token').focus();
  }

  // The latest round with a campaign this year (or last year), so a first look shows figures.
  function defaultPeriod() {
    if ($('year').value) return Promise.resolve();
    var year = parseInt(todayInVietnam().slice(0, 4), 10);
    var latest = function (y) {
      return gql(CAMPAIGNS, { year: y }).then(function (data) {
        return data.examCampaigns.edges.reduce(function (max, e) {
          return Math.max(max, e.node.round);
        }, 0);
      });
    };
    return latest(year).then(function (round) {
      if (round) return [year, round];
      return latest(year - 1).then(function (r) { return [year - 1, r || 1]; });
    }).catch(function () {
      return [year, 1];
    }).then(function (yr) {
      $('year').value = String(yr[0]);
      $('round').value = String(yr[1]);
    });
  }

  // ---- loading and drawing ------------------------------------------------------------------

  function setStatus(text) { $('status').textContent = text; }

  function load() {
    var board = currentBoard();
    var p = period();
    if (!board || !p.year || !p.round) return Promise.resolve();
    var seq = ++state.loadSeq;
    clearError();
    setStatus('Đang tải số liệu của ' + board.name + '…');
    var today = todayInVietnam();
    var from = p.year + '-01-01';
    var to = p.year + '-12-31';
    if (to > today) to = today;
    if (from > to) from = to;
    var vars = {
      board: board.code, year: p.year, round: p.round,
      classification: $('classification').value, codes: COND_CODES, from: from, to: to,
    };
    startLive(); // subscribe first, so no exam recorded while the figures load is missed
    return gql(STATS, vars).then(function (data) {
      if (seq !== state.loadSeq) return; // a later load won
      var s = data.statistics;
      state.path[state.path.length - 1] = s.board;
      state.coverage = s.examCoverage;
      drawBreadcrumbs();
      drawCoverage();
      drawClasses(s.healthClassDistribution.total);
      drawPrevalence(s.conditionPrevalence.total);
      drawActivity(s.clinicActivity.total, from, to);
      setStatus('Số liệu của ' + s.board.name + ', năm ' + p.year + ', đợt ' + p.round + '.');
      document.body.dataset.loaded = s.board.code + ':' + p.year + ':' + p.round;
    }).catch(function (err) {
      if (seq !== state.loadSeq) return;
      setStatus('');
      showError(err);
    });
  }

  function drawBreadcrumbs() {
    var ol = $('breadcrumbs');
    ol.textContent = '';
    state.path.forEach(function (b, i) {
      var li = document.createElement('li');
      if (i === state.path.length - 1) {
        li.textContent = b.name;
        li.setAttribute('aria-current', 'page');
      } else {
        var button = document.createElement('button');
        button.type = 'button';
        button.textContent = b.name;
        button.addEventListener('click', function () {
          state.path = state.path.slice(0, i + 1);
          load();
        });
        li.appendChild(button);
      }
      ol.appendChild(li);
    });
  }

  function setFigure(el, value, text) {
    el.dataset.value = String(value);
    el.textContent = text;
  }

  function sortedRows() {
    var key = state.sort.key;
    var sign = state.sort.dir === 'asc' ? 1 : -1;
    return state.coverage.byBoard.slice().sort(function (a, b) {
      var x = key === 'name' ? a.board.name : a[key];
      var y = key === 'name' ? b.board.name : b[key];
      var c = key === 'name' ? x.localeCompare(y, 'vi') : x - y;
      return c * sign || a.board.code.localeCompare(b.board.code);
    });
  }

  function drawCoverage() {
    var cov = state.coverage;
    var current = currentBoard();
    setFigure($('cov-eligible'), cov.total.eligible, num.format(cov.total.eligible));
    setFigure($('cov-examined'), cov.total.examined, num.format(cov.total.examined));
    setFigure($('cov-rate'), cov.total.rate, pct.format(cov.total.rate));

    document.querySelectorAll('th[data-key]').forEach(function (th) {
      if (th.dataset.key === state.sort.key) {
        th.setAttribute('aria-sort', state.sort.dir === 'asc' ? 'ascending' : 'descending');
      } else {
        th.removeAttribute('aria-sort');
      }
    });

    var tbody = $('coverage-rows');
    tbody.textContent = '';
    var rows = sortedRows();
    rows.forEach(function (cell) {
      var tr = document.createElement('tr');
      tr.dataset.board = cell.board.code;
      tr.dataset.testid = 'coverage-row';
      var name = document.createElement('th');
      name.scope = 'row';
      // A child board can be opened; the board's own row (its own cadres) and districts cannot.
      var own = cell.board.code === current.code;
      if (own) tr.className = 'own';
      if (!own && cell.board.level !== 'DISTRICT') {
        var button = document.createElement('button');
        button.type = 'button';
        button.textContent = cell.board.name;
        button.setAttribute('aria-label', 'Xem các đơn vị của ' + cell.board.name);
        button.dataset.testid = 'drill-' + cell.board.code;
        button.addEventListener('click', function () {
          state.path.push(cell.board);
          load().then(function () { $('coverage-title').focus(); });
        });
        name.appendChild(button);
      } else {
        name.textContent = own ? cell.board.name + ' (cán bộ do ban trực tiếp quản lý)' : cell.board.name;
      }
      tr.appendChild(name);
      [['eligible', num.format(cell.eligible)], ['examined', num.format(cell.examined)],
        ['rate', pct.format(cell.rate)]].forEach(function (f) {
        var td = document.createElement('td');
        td.className = 'num';
        td.dataset.field = f[0];
        td.dataset.value = String(cell[f[0]]);
        td.textContent = f[1];
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });

    var labels = rows.map(function (c) { return c.board.name; });
    var values = rows.map(function (c) { return Math.round(c.rate * 1000) / 10; });
    if (!charts.coverage) {
      charts.coverage = new Chart($('coverage-chart'), {
        type: 'bar',
        data: { labels: labels, datasets: [{ label: 'Tỷ lệ khám (%)', data: values, backgroundColor: '#b8332f' }] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          locale: 'vi-VN',
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return num.format(v) + '%'; } } } },
          plugins: { legend: { display: false } },
        },
      });
    } else {
      charts.coverage.data.labels = labels;
      charts.coverage.data.datasets[0].data = values;
      charts.coverage.update();
    }
  }

  function drawClasses(cell) {
    var tbody = $('class-rows');
    tbody.textContent = '';
    var all = cell.classified + cell.unclassified;
    var rows = cell.classes.map(function (c) { return [c.class, CLASS_LABELS[c.class] || c.class, c.cadres]; });
    rows.push(['unclassified', 'Chưa được phân loại trong năm', cell.unclassified]);
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.dataset.class = r[0];
      var th = document.createElement('th');
      th.scope = 'row';
      th.textContent = r[1];
      tr.appendChild(th);
      var n = document.createElement('td');
      n.className = 'num';
      setFigure(n, r[2], num.format(r[2]));
      tr.appendChild(n);
      var share = document.createElement('td');
      share.className = 'num';
      share.textContent = all ? pct.format(r[2] / all) : '–';
      tr.appendChild(share);
      tbody.appendChild(tr);
    });
  }

  function drawPrevalence(cell) {
    $('prevalence-caption').textContent = 'Cán bộ còn sống đang mắc bệnh, trên ' +
      num.format(cell.cadres) + ' cán bộ còn sống';
    var tbody = $('prevalence-rows');
    tbody.textContent = '';
    cell.conditions.forEach(function (c) {
      var tr = document.createElement('tr');
      tr.dataset.code = c.code;
      var th = document.createElement('th');
      th.scope = 'row';
      th.textContent = COND_LABELS[c.code] || c.code;
      tr.appendChild(th);
      var n = document.createElement('td');
      n.className = 'num';
      setFigure(n, c.cadres, num.format(c.cadres));
      tr.appendChild(n);
      var r = document.createElement('td');
      r.className = 'num';
      setFigure(r, c.rate, pct.format(c.rate));
      tr.appendChild(r);
      tbody.appendChild(tr);
    });
  }

  function drawActivity(cell, from, to) {
    var date = function (d) { return d.split('-').reverse().join('/'); };
    $('activity-range').textContent = 'Từ ' + date(from) + ' đến ' + date(to) + ', theo tháng.';
    setFigure($('act-visits'), cell.visits, num.format(cell.visits));
    setFigure($('act-prescriptions'), cell.prescriptions, num.format(cell.prescriptions));
    setFigure($('act-referrals'), cell.referrals, num.format(cell.referrals));
    var labels = cell.buckets.map(function (b) { return b.start.slice(5, 7) + '/' + b.start.slice(0, 4); });
    var series = [['visits', 'Lượt khám', '#0b5cad'], ['prescriptions', 'Đơn thuốc', '#1a7f37'],
      ['referrals', 'Chuyển viện', '#b8332f']].map(function (s) {
      return {
        label: s[1], borderColor: s[2], backgroundColor: s[2],
        data: cell.buckets.map(function (b) { return b[s[0]]; }),
      };
    });
    if (charts.activity) charts.activity.destroy();
    charts.activity = new Chart($('activity-chart'), {
      type: 'line',
      data: { labels: labels, datasets: series },
      options: {
        animation: false, maintainAspectRatio: false, locale: 'vi-VN',
        scales: { y: { beginAtZero: true } },
      },
    });
  }

  // ---- live coverage ------------------------------------------------------------------------

  function setLive(on, text) {
    $('live').dataset.live = on ? 'on' : 'off';
    $('live').textContent = text;
  }

  function stopLive() {
    if (state.unsubscribe) state.unsubscribe();
    state.unsubscribe = null;
    if (state.ws) state.ws.dispose();
    state.ws = null;
    setLive(false, 'Chưa nhận cập nhật trực tiếp');
  }

  function startLive() {
    if (typeof graphqlWs === 'undefined') return;
    if (state.unsubscribe) state.unsubscribe();
    state.unsubscribe = null;
    if (!state.ws) {
      var token = state.token;
      var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      var reconnected = false;
      state.ws = graphqlWs.createClient({
        url: scheme + '//' + location.host + '/graphql/ws',
        connectionParams: function () { return { Authorization: 'Bearer ' + token }; },
        retryAttempts: 5,
        shouldRetry: function () { return true; },
        on: {
          connected: function () {
            setLive(true, 'Đang cập nhật trực tiếp khi có lượt khám mới');
            // After a reconnection, events while the socket was down are gone: load again.
            if (reconnected) load();
            reconnected = true;
          },
          closed: function (event) {
            var code = event && event.code;
            setLive(false, code === 4403 || code === 4401
              ? 'Mã truy cập hết hạn: không còn cập nhật trực tiếp. Hãy dán mã mới.'
              : 'Mất kết nối cập nhật trực tiếp; đang thử lại…');
          },
        },
      });
    }
    var p = period();
    var board = currentBoard().code;
    state.unsubscribe = state.ws.subscribe(
      { query: LIVE, variables: { year: p.year, round: p.round, board: board } },
      {
        next: function (message) {
          if (message.errors && message.errors.length) {
            var ext = message.errors[0].extensions || {};
            setLive(false, 'Không nhận được cập nhật trực tiếp. ' +
              errorText(new ApiError(ext.code || 'INTERNAL_SERVER_ERROR')));
            return;
          }
          var c = message.data && message.data.coverageChanged;
          var now = period();
          if (!c || !state.coverage || currentBoard().code !== board ||
            now.year !== p.year || now.round !== p.round) return;
          applyLive(c);
        },
        error: function () {
          setLive(false, 'Không nhận được cập nhật trực tiếp. ' + errorText(new ApiError('NETWORK')));
        },
        complete: function () {},
      }
    );
  }

  function applyLive(c) {
    if (c.total) state.coverage.total = c.total;
    if (c.changed) {
      var rows = state.coverage.byBoard;
      for (var i = 0; i < rows.length; i++) {
        if (rows[i].board.code === c.changed.board.code) rows[i] = c.changed;
      }
    }
    drawCoverage();
    var el = $('live');
    el.dataset.updates = String((parseInt(el.dataset.updates || '0', 10)) + 1);
  }

  // ---- wiring -------------------------------------------------------------------------------

  $('token-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var token = $('token').value;
    if (token.trim()) signIn(token);
  });
  $('sign-out').addEventListener('click', signOut);
  $('period-form').addEventListener('submit', function (e) {
    e.preventDefault();
    load();
  });
  $('classification').addEventListener('change', function () { load(); });
  document.querySelectorAll('th button[data-sort]').forEach(function (button) {
    button.addEventListener('click', function () {
      var key = button.dataset.sort;
      if (state.sort.key === key) {
        state.sort.dir = state.sort.dir === 'asc' ? 'desc' : 'asc';
      } else {
        state.sort = { key: key, dir: key === 'name' ? 'asc' : 'desc' };
      }
      if (state.coverage) drawCoverage();
    });
  });
  $('coverage-title').tabIndex = -1;

  var saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
})();
