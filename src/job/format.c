/* format.c: job summaries for people (text) and programs (JSON), and the
 * share of a job done that progress displays show. Pure formatting. */
#include "marcpipe/job.h"
#include "marcpipe/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *mp_job_display_status(const mp_job_summary_t *s) {
  return s->stalled ? "STALLED" : mp_job_status_name(s->status);
}

static void iso_time(double t, char *buf, size_t n) {
  if (t <= 0) {
    snprintf(buf, n, "-");
    return;
  }
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double elapsed(const mp_job_summary_t *s) {
  if (s->started_at <= 0)
    return 0;
  double end = s->completed_at > 0 ? s->completed_at : (double)time(NULL);
  return end > s->started_at ? end - s->started_at : 0;
}

json_t *mp_job_summary_json(const mp_job_summary_t *s) {
  char c[32], st[32], done[32];
  iso_time(s->created_at, c, sizeof c);
  iso_time(s->started_at, st, sizeof st);
  iso_time(s->completed_at, done, sizeof done);
  json_t *o = json_pack(
      "{s:I s:s s:s s:s s:s s:I s:I s:I s:I s:I s:I s:I s:f}", "id", (json_int_t)s->id,
      "status", mp_job_status_name(s->status), "file_name", s->file_name, "file_format", s->file_format,
      "topic", s->topic, "produced", (json_int_t)s->produced, "processed",
      (json_int_t)s->processed, "created", (json_int_t)s->created, "updated",
      (json_int_t)s->updated, "duplicates", (json_int_t)s->duplicates, "skipped",
      (json_int_t)s->skipped, "errors", (json_int_t)s->errors, "elapsed_seconds", elapsed(s));
  if (!o)
    return NULL;
  json_object_set_new(o, "state", json_string(mp_job_display_status(s)));
  json_object_set_new(o, "stalled", json_boolean(s->stalled));
  json_object_set_new(o, "cancel_requested", json_boolean(s->cancel_requested));
  json_object_set_new(o, "resumes", json_integer(s->resumes));
  json_object_set_new(o, "skipped_matched", json_integer(s->skipped_matched));
  json_object_set_new(o, "skipped_no_match", json_integer(s->skipped_no_match));
  json_t *prof = s->profile[0] ? json_loads(s->profile, 0, NULL) : NULL;
  json_object_set_new(o, "profile", prof ? prof : json_null());
  json_object_set_new(o, "total", s->total >= 0 ? json_integer(s->total) : json_null());
  json_object_set_new(o, "input_read",
                      s->input_read > 0 ? json_real(s->input_read) : json_null());
  json_object_set_new(o, "failure_reason",
                      s->failure_reason[0] ? json_string(s->failure_reason) : json_null());
  json_object_set_new(o, "created_at", json_string(c));
  json_object_set_new(o, "started_at", s->started_at > 0 ? json_string(st) : json_null());
  json_object_set_new(o, "completed_at", s->completed_at > 0 ? json_string(done) : json_null());
  return o;
}

void mp_job_summary_print(FILE *out, const mp_job_summary_t *s) {
  char st[32], done[32];
  iso_time(s->started_at, st, sizeof st);
  iso_time(s->completed_at, done, sizeof done);
  char file[3 * sizeof s->file_name], why[3 * sizeof s->failure_reason];
  mp_text_shown(s->file_name, file, sizeof file);
  mp_text_shown(s->failure_reason, why, sizeof why);
  fprintf(out, "job %lld: %s", (long long)s->id, mp_job_display_status(s));
  if (s->stalled)
    fprintf(out, " (was %s; its processes are gone: `marcpipe import --resume %lld`"
                 " or `marcpipe cancel %lld`)", mp_job_status_name(s->status), (long long)s->id,
            (long long)s->id);
  else if (s->cancel_requested && s->status != MP_JOB_CANCELLED)
    fprintf(out, " (cancel requested)");
  fputc('\n', out);
  fprintf(out, "  file       %s%s%s%s\n", file[0] ? file : "-",
          s->file_format[0] ? " (" : "", s->file_format, s->file_format[0] ? ")" : "");
  if (s->topic[0])
    fprintf(out, "  topic      %s\n", s->topic);
  if (s->total >= 0)
    fprintf(out, "  processed  %lld of %lld (%.1f%%)\n", (long long)s->processed,
            (long long)s->total, s->total ? 100.0 * (double)s->processed / (double)s->total : 100.0);
  else if (s->input_read > 0)
    fprintf(out, "  processed  %lld (total not known yet; %lld produced, %.1f%% of the file read)\n",
            (long long)s->processed, (long long)s->produced, 100.0 * s->input_read);
  else
    fprintf(out, "  processed  %lld (total not known yet; %lld produced)\n",
            (long long)s->processed, (long long)s->produced);
  fprintf(out, "  created %lld  updated %lld  duplicates %lld  skipped %lld  errors %lld\n",
          (long long)s->created, (long long)s->updated, (long long)s->duplicates,
          (long long)s->skipped, (long long)s->errors);
  if (s->skipped_matched || s->skipped_no_match)
    fprintf(out, "  skipped by profile: %lld matched, %lld without match\n",
            (long long)s->skipped_matched, (long long)s->skipped_no_match);
  if (s->profile[0])
    fprintf(out, "  profile    %s\n", s->profile);
  double el = elapsed(s);
  fprintf(out, "  started    %s  completed %s", st, done);
  if (el > 0)
    fprintf(out, "  elapsed %.1f s  %.0f records/s", el, (double)s->processed / el);
  fputc('\n', out);
  if (s->failure_reason[0])
    fprintf(out, "  failure    %s\n", why);
}

double mp_job_records_expected(int64_t total, int64_t seen, double input_read) {
  if (total >= 0)
    return (double)total;
  return input_read > 0 && seen > 0 ? (double)seen / input_read : 0;
}

double mp_job_share_done(int64_t total, int64_t seen, int64_t processed,
                         double input_read) {
  double all = mp_job_records_expected(total, seen, input_read);
  if (all <= 0 && total < 0) /* nothing to estimate from: of what was seen */
    all = (double)seen;
  double f = all > 0 ? (double)processed / all : 0;
  if (total < 0 && f > 0.999)
    f = 0.999;
  return f > 1 ? 1 : f;
}
