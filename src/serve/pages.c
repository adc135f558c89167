/* pages.c: the console's HTML pages: the job list (live progress bars and
 * rates), a job's page (counters, rate chart, log with outcome filter and
 * keyset paging, control buttons), one record, the error export. Reads
 * through job.h / joblog.h only; every value is escaped (mp__html). */
#include "serve_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_PAGE 50
#define JOB_PAGE 100

bool mp__job_running(const mp_job_summary_t *s) {
  return !s->stalled && mp_job_status_running(s->status);
}

double mp__job_rate(PGconn *c, int64_t job) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", (long long)job);
  const char *p[1] = {ids};
  /* the last samples of the job (primary key order, newest first) */
  PGresult *r = PQexecParams(
      c,
      "SELECT (max(processed) - min(processed))::float8 /"
      " greatest(extract(epoch FROM max(at) - min(at)), 0.001), count(*)"
      " FROM (SELECT at, processed FROM job_samples WHERE job_id = $1::bigint"
      " ORDER BY at DESC LIMIT 6) s",
      1, NULL, p, NULL, NULL, 0);
  double rate = -1;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
      atoi(PQgetvalue(r, 0, 1)) >= 2)
    rate = strtod(PQgetvalue(r, 0, 0), NULL);
  PQclear(r);
  return rate;
}

double mp__job_shown_rate(PGconn *c, const mp_job_summary_t *s) {
  if (mp__job_running(s))
    return mp__job_rate(c, s->id);
  double end = s->completed_at > 0 ? s->completed_at : (double)time(NULL);
  return s->started_at > 0 && end > s->started_at
             ? (double)s->processed / (end - s->started_at) : -1;
}

double mp__job_percent(const mp_job_summary_t *s) {
  int64_t of = s->total >= 0 ? s->total : s->produced;
  if (of <= 0)
    return s->status == MP_JOB_COMPLETED ||
                   s->status == MP_JOB_COMPLETED_WITH_ERRORS
               ? 100.0
               : 0.0;
  /* while the total is unknown: of the records the file holds, estimated
   * from the share of its bytes read, and never 100 (job.h) */
  return 100.0 * mp_job_share_done(s->total, s->produced, s->processed,
                                   s->input_read);
}

static int bar(mp_buf_t *b, const mp_job_summary_t *s) {
  double pct = mp__job_percent(s);
  return mp_buf_printf(b, "<span class=\"bar\" data-pct=\"%.1f\"><span style=\"width:%.1f%%\">"
                          "</span></span>", pct, pct);
}

static const char jobs_js[] =
    "function upd(){fetch('/api/jobs').then(r=>r.json()).then(js=>{"
    "for(const j of js){const row=document.getElementById('job-'+j.id);"
    "if(!row){if(!location.search)location.reload();continue}"
    "const bar=row.querySelector('.bar');bar.dataset.pct=j.percent.toFixed(1);"
    "bar.firstChild.style.width=j.percent.toFixed(1)+'%';"
    "const st=row.querySelector('.st');st.textContent=j.state;st.className='st '+j.state;"
    "row.querySelector('.prog').textContent=j.processed+' / '+(j.total===null?'?':j.total);"
    "row.querySelector('.rate').textContent=j.rate>=0?Math.round(j.rate)+' rec/s':'';"
    "row.querySelector('.err').textContent=j.errors;}}).catch(()=>{})}"
    "setInterval(upd,1000);";

void mp__page_jobs(mp_req_t *r, mp_resp_t *p) {
  mp_job_summary_t *v = NULL;
  size_t n = 0;
  char err[512];
  int64_t before = mp__req_int(r, "before");
  if (before < 0)
    return mp__resp_error(p, 400, "bad before");
  if (mp_job_list_before(r->db, before, JOB_PAGE, &v, &n, err, sizeof err))
    return mp__resp_error(p, 500, "cannot list jobs");
  mp_buf_t *b = &p->body;
  mp__html_head(b, "Jobs");
  mp_buf_puts(b, "<table id=\"jobs\"><tr><th>Job</th><th>File</th><th>State</th>"
                 "<th>Progress</th><th>Processed / total</th><th>Rate</th>"
                 "<th>Errors</th></tr>");
  for (size_t i = 0; i < n; i++) {
    const mp_job_summary_t *s = &v[i];
    double rate = mp__job_shown_rate(r->db, s);
    mp_buf_printf(b, "<tr id=\"job-%lld\"><td><a href=\"/jobs/%lld\">%lld</a></td><td>",
                  (long long)s->id, (long long)s->id, (long long)s->id);
    mp__html(b, s->file_name);
    mp_buf_printf(b, "</td><td class=\"st %s\">%s</td><td>", mp_job_display_status(s),
                  mp_job_display_status(s));
    bar(b, s);
    mp_buf_printf(b, "</td><td class=\"prog num\">%lld / ", (long long)s->processed);
    if (s->total >= 0)
      mp_buf_printf(b, "%lld", (long long)s->total);
    else
      mp_buf_puts(b, "?");
    mp_buf_puts(b, "</td><td class=\"rate num\">");
    if (rate >= 0)
      mp_buf_printf(b, "%.0f rec/s", rate);
    mp_buf_printf(b, "</td><td class=\"err num\">%lld</td></tr>", (long long)s->errors);
  }
  mp_buf_puts(b, "</table>");
  if (!n)
    mp_buf_puts(b, "<p>No jobs yet: <code>marcpipe import FILE</code>.</p>");
  if (n == JOB_PAGE) /* older jobs, a page at a time (keyset on the id) */
    mp_buf_printf(b, "<p><a id=\"older\" href=\"/?before=%lld\">older jobs &rarr;</a></p>",
                  (long long)v[n - 1].id);
  mp__html_foot(b, jobs_js);
  free(v);
}

/* ---- one job ---- */

typedef struct {
  mp_buf_t *b;
  int64_t job, first, last;
  size_t rows;
} logctx_t;

static int log_row(void *ud, const mp_joblog_row_t *row) {
  logctx_t *x = ud;
  mp_buf_t *b = x->b;
  if (!x->rows++)
    x->first = row->seq;
  x->last = row->seq;
  char why[1024];
  mp_joblog_why(row, why, sizeof why);
  mp_buf_printf(b, "<tr class=\"%s\"><td><a href=\"/jobs/%lld/records/%lld\">%lld</a></td>"
                   "<td class=\"outcome\">%s</td><td>",
                row->outcome, (long long)x->job, (long long)row->seq,
                (long long)row->seq, row->outcome);
  if (row->partition < 0)
    mp_buf_printf(b, "byte %lld", (long long)row->file_offset);
  else
    mp_buf_printf(b, "p%d@%lld", row->partition, (long long)row->kafka_offset);
  mp_buf_puts(b, "</td><td>");
  mp__html(b, row->match_key);
  mp_buf_puts(b, "</td><td>");
  if (row->instance_id[0]) {
    mp__html(b, row->instance_id);
    if (row->hrid[0]) {
      mp_buf_puts(b, " (");
      mp__html(b, row->hrid);
      mp_buf_puts(b, ")");
    }
  }
  mp_buf_puts(b, "</td><td class=\"why\">");
  mp__html(b, why);
  return mp_buf_puts(b, "</td></tr>");
}

static void counters(mp_buf_t *b, const mp_job_summary_t *s, double rate) {
  struct {
    const char *name;
    int64_t v;
  } c[] = {{"processed", s->processed}, {"created", s->created},
           {"updated", s->updated},     {"duplicates", s->duplicates},
           {"skipped", s->skipped},     {"errors", s->errors},
           {"produced", s->produced}};
  mp_buf_puts(b, "<table id=\"counters\"><tr>");
  for (size_t i = 0; i < sizeof c / sizeof *c; i++)
    mp_buf_printf(b, "<th>%s</th>", c[i].name);
  mp_buf_puts(b, "<th>total</th><th>rate</th></tr><tr>");
  for (size_t i = 0; i < sizeof c / sizeof *c; i++)
    mp_buf_printf(b, "<td class=\"num\" id=\"c-%s\">%lld</td>", c[i].name, (long long)c[i].v);
  if (s->total >= 0)
    mp_buf_printf(b, "<td class=\"num\" id=\"c-total\">%lld</td>", (long long)s->total);
  else
    mp_buf_puts(b, "<td class=\"num\" id=\"c-total\">?</td>");
  mp_buf_puts(b, "<td class=\"num\" id=\"c-rate\">");
  if (rate >= 0)
    mp_buf_printf(b, "%.0f rec/s", rate);
  mp_buf_puts(b, "</td></tr></table>");
}

static const char job_js[] =
    "const J=document.body.dataset.job,T=document.body.dataset.token;"
    /* the job's state as JSON: polled by upd() and, after Resume, started() */
    "const job=()=>fetch('/api/jobs/'+J).then(r=>r.json());"
    "function act(a){if(a==='delete'&&!confirm('Delete this job\\'s log, journal and "
    "source records? Instances stay.'))return;"
    "fetch('/jobs/'+J+'/'+a,{method:'POST',headers:{'X-Marcpipe-Token':T}})"
    ".then(r=>r.text().then(t=>{document.getElementById('msg').textContent=t;"
    "if(!r.ok)return;if(a==='delete')setTimeout(()=>location.href='/',500);"
    "else if(a==='resume')started(0)}))}"
    /* cancel: upd() below shows the new state and re-reads the log, in
     * place; a reload here could land after the user's next click and
     * drop it. resume: the import it starts needs a moment to take the
     * job, so reload once the job has left CANCELLED (or after 30 s): the
     * reloaded page then polls the running job */
    "function started(n){job().then(j=>{"
    "if(j.running||j.state!=='CANCELLED'||n>=60)location.reload();"
    "else setTimeout(()=>started(n+1),500)}).catch(()=>setTimeout(()=>started(n+1),500))}"
    "let fin=false;function upd(){if(fin)return;job()"
    ".then(j=>{for(const k of ['processed','created','updated','duplicates','skipped',"
    "'errors','produced'])document.getElementById('c-'+k).textContent=j[k];"
    "document.getElementById('c-total').textContent=j.total===null?'?':j.total;"
    "document.getElementById('c-rate').textContent=j.rate>=0?Math.round(j.rate)+' rec/s':'';"
    "const st=document.getElementById('state');st.textContent=j.state;"
    "st.className='st '+j.state;const bar=document.querySelector('.bar');"
    "bar.dataset.pct=j.percent.toFixed(1);bar.firstChild.style.width=j.percent.toFixed(1)+'%';"
    "document.getElementById('chart').src='/jobs/'+J+'/chart.svg?t='+Date.now();"
    "if(!j.running){fin=true;if(document.body.dataset.running==='1')relog()}"
    "}).catch(()=>{})}setInterval(upd,1000);"
    /* the job ended while the page was open: its log page again, in place */
    "function relog(){fetch(location.href).then(r=>r.text()).then(t=>{"
    "const d=new DOMParser().parseFromString(t,'text/html');"
    "for(const s of ['#log','.paging'])document.querySelector(s).replaceWith(d.querySelector(s));"
    "document.body.dataset.relogged='1'})}";

void mp__page_job(mp_req_t *r, int64_t job, mp_resp_t *p) {
  mp_job_summary_t s;
  char err[512];
  int rc = mp_job_get(r->db, job, &s, err, sizeof err);
  if (rc)
    return mp__resp_error(p, rc == MP_ENOTFOUND ? 404 : 500,
                          rc == MP_ENOTFOUND ? "no such job" : "cannot read the job");
  const char *oarg = mp__req_arg(r, "outcome");
  const char *outcome = oarg && *oarg ? mp_joblog_outcome(oarg) : NULL;
  int64_t after = mp__req_int(r, "after"), before = mp__req_int(r, "before");
  if ((oarg && *oarg && !outcome) || after < 0 || before < 0)
    return mp__resp_error(p, 400, "bad outcome, after or before");
  mp_buf_t *b = &p->body;
  char title[64];
  snprintf(title, sizeof title, "Job %lld", (long long)job);
  mp__html_head(b, title);
  /* the token goes to the page only when control actions are on */
  mp_buf_puts(b, "<p>File <b>");
  mp__html(b, s.file_name);
  mp_buf_printf(b, "</b> &middot; state <span id=\"state\" class=\"st %s\">%s</span> ",
                mp_job_display_status(&s), mp_job_display_status(&s));
  bar(b, &s);
  if (s.failure_reason[0]) {
    mp_buf_puts(b, " &middot; ");
    mp__html(b, s.failure_reason);
  }
  mp_buf_puts(b, "</p>");
  counters(b, &s, mp__job_shown_rate(r->db, &s));
  if (r->srv->allow_control)
    mp_buf_puts(b, "<p><button id=\"cancel\" onclick=\"act('cancel')\">Cancel</button>"
                   "<button id=\"resume\" onclick=\"act('resume')\">Resume</button>"
                   "<button id=\"delete\" onclick=\"act('delete')\">Delete</button>"
                   "<span id=\"msg\"></span></p>");
  mp_buf_printf(b, "<h2>Rate</h2><img id=\"chart\" alt=\"records per second over time\" "
                   "src=\"/jobs/%lld/chart.svg\" width=\"640\" height=\"160\">",
                (long long)job);
  mp_buf_printf(b, "<h2>Log</h2><p class=\"filters\">");
  const char *names[] = {NULL, "CREATED", "UPDATED", "DUPLICATE", "SKIPPED", "ERROR"};
  for (size_t i = 0; i < 6; i++) {
    bool on = names[i] ? outcome && !strcmp(outcome, names[i]) : !outcome;
    mp_buf_printf(b, "<a class=\"%s\" id=\"f-%s\" href=\"/jobs/%lld%s%s\">%s</a> ",
                  on ? "on" : "", names[i] ? names[i] : "ALL", (long long)job,
                  names[i] ? "?outcome=" : "", names[i] ? names[i] : "",
                  names[i] ? names[i] : "all");
  }
  mp_buf_printf(b, "&middot; <a href=\"/jobs/%lld/errors.mrc\">export errors (MARC)</a></p>",
                (long long)job);
  mp_buf_puts(b, "<table id=\"log\"><tr><th>Record</th><th>Outcome</th><th>From</th>"
                 "<th>Match key</th><th>Instance</th><th>Why</th></tr>");
  logctx_t x = {.b = b, .job = job};
  rc = mp_joblog_page(r->db, job, outcome, after, before, LOG_PAGE, log_row, &x, err,
                      sizeof err);
  mp_buf_puts(b, "</table><p class=\"paging\">");
  char f[32] = "";
  if (outcome)
    snprintf(f, sizeof f, "&outcome=%s", outcome);
  if (x.rows && (after > 0 || before > 0))
    mp_buf_printf(b, "<a id=\"prev\" href=\"/jobs/%lld?before=%lld%s\">&larr; previous</a> ",
                  (long long)job, (long long)x.first, f);
  if (x.rows == LOG_PAGE || before > 0)
    mp_buf_printf(b, "<a id=\"next\" href=\"/jobs/%lld?after=%lld%s\">next &rarr;</a>",
                  (long long)job, (long long)(x.rows ? x.last : before - 1), f);
  if (!x.rows)
    mp_buf_puts(b, "no records on this page");
  mp_buf_puts(b, "</p>");
  /* data attributes read by the script: the job id, and the token when
   * control actions are on (same-origin only: other sites cannot read it) */
  mp_buf_printf(b, "<script>document.body.dataset.job='%lld';"
                   "document.body.dataset.running='%d';",
                (long long)job, mp__job_running(&s) ? 1 : 0);
  if (r->srv->allow_control)
    mp_buf_printf(b, "document.body.dataset.token='%s';", r->srv->token);
  mp_buf_puts(b, "</script>");
  mp__html_foot(b, job_js);
  if (rc)
    p->status = 500;
}

void mp__page_record(mp_req_t *r, int64_t job, int64_t seq, mp_resp_t *p) {
  mp_joblog_record_t rec;
  char err[512];
  int rc = mp_joblog_record(r->db, job, seq, &rec, err, sizeof err);
  if (rc)
    return mp__resp_error(p, rc == MP_ENOTFOUND ? 404 : 500,
                          rc == MP_ENOTFOUND ? "no such record" : "cannot read the record");
  char *text = NULL;
  if (mp_joblog_record_text(&rec, &text)) {
    mp_joblog_record_release(&rec);
    return mp__resp_error(p, 500, "out of memory");
  }
  mp_buf_t *b = &p->body;
  char title[96];
  snprintf(title, sizeof title, "Job %lld, record %lld", (long long)job, (long long)seq);
  mp__html_head(b, title);
  mp_buf_printf(b, "<p><a href=\"/jobs/%lld?after=%lld\">&larr; job %lld's log</a></p>"
                   "<p id=\"why\">", (long long)job, (long long)(seq > 1 ? seq - 1 : 0),
                (long long)job);
  mp__html(b, rec.why);
  mp_buf_puts(b, "</p><h2>Source MARC</h2><pre id=\"source\">");
  mp__html(b, text);
  mp_buf_puts(b, "</pre><h2>Instance</h2><pre id=\"instance\">");
  mp__html(b, rec.instance_json ? rec.instance_json : "(none)");
  mp_buf_puts(b, "</pre><h2>Journal row</h2><pre id=\"journal\">");
  mp__html(b, rec.row_json);
  mp_buf_puts(b, "</pre>");
  mp__html_foot(b, NULL);
  free(text);
  mp_joblog_record_release(&rec);
}

/* ---- chart: records/s between consecutive samples, as SVG ---- */

void mp__page_chart(mp_req_t *r, int64_t job, mp_resp_t *p) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", (long long)job);
  const char *prm[1] = {ids};
  PGresult *q = PQexecParams(r->db,
                             "SELECT extract(epoch FROM at)::float8, processed FROM job_samples"
                             " WHERE job_id = $1::bigint ORDER BY at",
                             1, NULL, prm, NULL, NULL, 0);
  if (PQresultStatus(q) != PGRES_TUPLES_OK) {
    PQclear(q);
    return mp__resp_error(p, 500, "cannot read samples");
  }
  int n = PQntuples(q);
  enum { W = 640, H = 160, PAD = 30, MAXPTS = 320 };
  int step = n > MAXPTS ? (n + MAXPTS - 1) / MAXPTS : 1;
  double t0 = n ? strtod(PQgetvalue(q, 0, 0), NULL) : 0, tmax = 1, rmax = 1;
  double pts[MAXPTS + 1][2];
  int np = 0;
  for (int i = step; i < n && np <= MAXPTS; i += step) {
    /* over at least 3 s (or the samples there are): a batch commits every
     * few hundred ms, and rates between single samples jump to 0 and back */
    int a = i - step;
    double tb = strtod(PQgetvalue(q, i, 0), NULL);
    while (a > 0 && tb - strtod(PQgetvalue(q, a, 0), NULL) < 3.0)
      a--;
    double ta = strtod(PQgetvalue(q, a, 0), NULL);
    double pa = strtod(PQgetvalue(q, a, 1), NULL);
    double pb = strtod(PQgetvalue(q, i, 1), NULL);
    double rate = tb > ta ? (pb - pa) / (tb - ta) : 0;
    pts[np][0] = tb - t0;
    pts[np][1] = rate < 0 ? 0 : rate;
    tmax = pts[np][0] > tmax ? pts[np][0] : tmax;
    rmax = pts[np][1] > rmax ? pts[np][1] : rmax;
    np++;
  }
  PQclear(q);
  mp_buf_t *b = &p->body;
  p->content_type = "image/svg+xml";
  mp_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">"
                   "<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
                   "<text x=\"4\" y=\"12\" font-size=\"11\">%.0f rec/s</text>"
                   "<text x=\"4\" y=\"%d\" font-size=\"11\">0</text>"
                   "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.0f s</text>",
                W, H, W, H, rmax, H - 4, W - 4, H - 4, tmax);
  if (!np)
    mp_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">"
                     "no samples yet</text>", W / 2, H / 2);
  mp_buf_puts(b, "<polyline fill=\"none\" stroke=\"#3a7\" stroke-width=\"2\" points=\"");
  for (int i = 0; i < np; i++)
    mp_buf_printf(b, "%.1f,%.1f ", PAD + (W - 2 * PAD) * pts[i][0] / tmax,
                  (H - PAD / 2) - (H - PAD) * pts[i][1] / rmax);
  mp_buf_puts(b, "\"/></svg>");
}

/* ---- error export: the rejected records' bytes, as `errors --export` ---- */

static int export_one(void *ud, const mp_job_error_t *e) {
  mp_buf_t *b = ud;
  return e->raw && e->raw_len ? mp_buf_append(b, e->raw, e->raw_len) : 0;
}

void mp__export_errors(mp_req_t *r, int64_t job, mp_resp_t *p) {
  char err[512];
  int rc = mp_job_errors(r->db, job, export_one, &p->body, err, sizeof err);
  if (rc)
    return mp__resp_error(p, rc == MP_ENOTFOUND ? 404 : 500,
                          rc == MP_ENOTFOUND ? "no such job" : "cannot read errors");
  static __thread char disp[96];
  snprintf(disp, sizeof disp, "attachment; filename=\"job-%lld-errors.mrc\"", (long long)job);
  p->content_type = "application/marc";
  p->disposition = disp;
}
