/* html.c: HTML escaping and the page frame of the web console. Every
 * string that comes from a record, a job or a request goes through
 * mp__html; the frame's own text is constant. */
#include "serve_impl.h"

#include <string.h>

int mp__html(mp_buf_t *b, const char *s) {
  int rc = 0;
  for (const char *p = s ? s : ""; *p && !rc; p++) {
    switch (*p) {
    case '&': rc = mp_buf_puts(b, "&amp;"); break;
    case '<': rc = mp_buf_puts(b, "&lt;"); break;
    case '>': rc = mp_buf_puts(b, "&gt;"); break;
    case '"': rc = mp_buf_puts(b, "&quot;"); break;
    case '\'': rc = mp_buf_puts(b, "&#39;"); break;
    default: rc = mp_buf_putc(b, *p);
    }
  }
  return rc;
}

static const char style[] =
    "<style>"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "a{color:#0645ad}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}"
    ".bar{width:180px;height:12px;background:#eee;border:1px solid #bbb;"
    "display:inline-block;vertical-align:middle}"
    ".bar>span{display:block;height:100%;background:#3a7}"
    ".st{font-weight:bold}.CANCELLED,.FAILED,.STALLED{color:#b00}"
    ".COMPLETED_WITH_ERRORS{color:#a60}"
    "pre{background:#f8f8f8;border:1px solid #ddd;padding:.6em;overflow:auto;"
    "white-space:pre-wrap}"
    ".ERROR{color:#b00}.SKIPPED{color:#a60}.num{text-align:right}"
    "nav a{margin-right:.8em}.filters a.on{font-weight:bold}"
    "button{margin-right:.5em}"
    "</style>";

int mp__html_head(mp_buf_t *b, const char *title) {
  int rc = mp_buf_puts(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<title>");
  rc = rc ? rc : mp__html(b, title);
  rc = rc ? rc : mp_buf_printf(b, " - marcpipe</title>%s</head><body>"
                                  "<nav><a href=\"/\">Jobs</a>"
                                  "<a href=\"/metrics\">Metrics</a>"
                                  "<a href=\"/api/jobs\">API</a></nav><h1>",
                               style);
  rc = rc ? rc : mp__html(b, title);
  return rc ? rc : mp_buf_puts(b, "</h1>");
}

int mp__html_foot(mp_buf_t *b, const char *script) {
  int rc = 0;
  if (script)
    rc = mp_buf_printf(b, "<script>%s</script>", script);
  return rc ? rc : mp_buf_puts(b, "</body></html>");
}
