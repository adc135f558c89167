/* event.c: parse and validate circulation events (circ.h, contract in
 * schemas/events/circulation-event-v1.md). Pure; any thread.
 *
 * The rules are a table: each event type lists the members it requires;
 * every string member has one length rule; date-times are checked as real
 * UTC dates, so that PostgreSQL never refuses a value the producer let
 * through (a refused batch would be retried forever).
 */
#include "marcpipe/circ.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[MP_CIRC_NTYPES] = {
    "ITEM_CHECKED_OUT",      "ITEM_CHECKED_IN",    "LOAN_DUE_DATE_CHANGED",
    "ITEM_DECLARED_LOST",    "ITEM_AGED_TO_LOST",  "ITEM_CLAIMED_RETURNED",
    "LOAN_CLOSED",           "FEE_FINE_BALANCE_CHANGED"};

/* Optional members, as bits of a type's requirement mask. */
enum {
  R_LOAN = 1, R_ITEM = 2, R_DUE = 4, R_FEE = 8, R_BALANCE = 16,
};

static const unsigned required[MP_CIRC_NTYPES] = {
    [MP_CIRC_CHECKED_OUT] = R_LOAN | R_ITEM | R_DUE,
    [MP_CIRC_CHECKED_IN] = R_LOAN,
    [MP_CIRC_DUE_DATE_CHANGED] = R_LOAN | R_DUE,
    [MP_CIRC_DECLARED_LOST] = R_LOAN,
    [MP_CIRC_AGED_TO_LOST] = R_LOAN,
    [MP_CIRC_CLAIMED_RETURNED] = R_LOAN,
    [MP_CIRC_LOAN_CLOSED] = R_LOAN,
    [MP_CIRC_FEE_FINE_BALANCE_CHANGED] = R_FEE | R_BALANCE,
};

const char *mp_circ_type_name(mp_circ_type_t t) {
  return (unsigned)t < MP_CIRC_NTYPES ? type_names[t] : NULL;
}

int mp_circ_type_parse(const char *s) {
  for (int i = 0; s && i < MP_CIRC_NTYPES; i++)
    if (!strcmp(s, type_names[i]))
      return i;
  return -1;
}

/* YYYY-MM-DDTHH:MM:SSZ naming a real date (years 1900..9999). */
static bool valid_time(const char *s) {
  int y, mo, d, h, mi, se;
  char z;
  int n = 0;
  if (strlen(s) != 20 ||
      sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &se, &z,
             &n) != 7 ||
      n != 20 || z != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':')
    return false;
  for (int i = 0; i < 19; i++)
    if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 &&
        (s[i] < '0' || s[i] > '9'))
      return false;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59 || d < 1)
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= mdays[mo - 1] + (mo == 2 && leap);
}

/* A string member: NULL when absent; *bad set when present but invalid. */
static const char *str_member(json_t *o, const char *name, bool is_time,
                              bool *bad, char *why, size_t whylen) {
  json_t *v = json_object_get(o, name);
  if (!v || json_is_null(v))
    return NULL;
  const char *s = json_string_value(v);
  size_t len = s ? json_string_length(v) : 0;
  if (!s || len == 0 || len > 64 || strlen(s) != len) {
    snprintf(why, whylen, "%s must be a string of 1..64 characters", name);
    *bad = true;
    return NULL;
  }
  if (is_time && !valid_time(s)) {
    snprintf(why, whylen, "%s '%s' is not a UTC date-time "
                          "YYYY-MM-DDTHH:MM:SSZ", name, s);
    *bad = true;
    return NULL;
  }
  return s;
}

static int missing(const char *name, const char *type, char *why,
                   size_t whylen) {
  snprintf(why, whylen, "%s: %s is required", type, name);
  return MP_EFORMAT;
}

int mp_circ_event_parse(const char *text, size_t len, mp_circ_event_t *ev,
                        char *why, size_t whylen) {
  json_error_t jerr;
  memset(ev, 0, sizeof *ev);
  json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!o || !json_is_object(o)) {
    snprintf(why, whylen, "not a JSON object%s%s", o ? "" : ": ",
             o ? "" : jerr.text);
    json_decref(o);
    return MP_EJSON;
  }
  bool bad = false;
  const char *type = str_member(o, "eventType", false, &bad, why, whylen);
  ev->event_id = str_member(o, "eventId", false, &bad, why, whylen);
  ev->tenant = str_member(o, "tenant", false, &bad, why, whylen);
  ev->user_id = str_member(o, "userId", false, &bad, why, whylen);
  ev->event_time = str_member(o, "eventTime", true, &bad, why, whylen);
  ev->patron_group = str_member(o, "patronGroup", false, &bad, why, whylen);
  ev->loan_id = str_member(o, "loanId", false, &bad, why, whylen);
  ev->item_id = str_member(o, "itemId", false, &bad, why, whylen);
  ev->due_date = str_member(o, "dueDate", true, &bad, why, whylen);
  ev->return_date = str_member(o, "returnDate", true, &bad, why, whylen);
  ev->fee_fine_id = str_member(o, "feeFineId", false, &bad, why, whylen);
  ev->fee_fine_type_id =
      str_member(o, "feeFineTypeId", false, &bad, why, whylen);
  int rc = MP_EFORMAT;
  if (bad)
    goto fail;
  int t = mp_circ_type_parse(type);
  if (t < 0) {
    snprintf(why, whylen, "eventType %s%s%s", type ? "'" : "",
             type ? type : "is required", type ? "' is unknown" : "");
    goto fail;
  }
  ev->type = (mp_circ_type_t)t;
  if (!ev->event_id) { rc = missing("eventId", type, why, whylen); goto fail; }
  if (!ev->tenant || !mp_tenant_valid(ev->tenant)) {
    snprintf(why, whylen, "tenant %s", ev->tenant ? "is invalid" : "is required");
    goto fail;
  }
  if (!ev->user_id) { rc = missing("userId", type, why, whylen); goto fail; }
  if (!ev->event_time) { rc = missing("eventTime", type, why, whylen); goto fail; }
  unsigned req = required[t];
  if ((req & R_LOAN) && !ev->loan_id) { rc = missing("loanId", type, why, whylen); goto fail; }
  if ((req & R_ITEM) && !ev->item_id) { rc = missing("itemId", type, why, whylen); goto fail; }
  if ((req & R_DUE) && !ev->due_date) { rc = missing("dueDate", type, why, whylen); goto fail; }
  if ((req & R_FEE) && !ev->fee_fine_id) { rc = missing("feeFineId", type, why, whylen); goto fail; }
  json_t *recall = json_object_get(o, "dueDateChangedByRecall");
  if (recall && !json_is_null(recall)) {
    if (!json_is_boolean(recall)) {
      snprintf(why, whylen, "dueDateChangedByRecall must be true or false");
      goto fail;
    }
    ev->recall = json_is_true(recall);
  }
  json_t *bal = json_object_get(o, "balance");
  if (bal && !json_is_null(bal)) {
    double b = json_number_value(bal);
    double cents = round(b * 100.0);
    if (!json_is_number(bal) || !(b >= 0) || b > 1e9 ||
        fabs(b * 100.0 - cents) > 1e-6) {
      snprintf(why, whylen, "balance must be a number 0..1e9 with at most 2 "
                            "decimals");
      goto fail;
    }
    ev->balance_cents = (int64_t)cents;
  } else if (req & R_BALANCE) {
    rc = missing("balance", type, why, whylen);
    goto fail;
  }
  ev->json = o;
  return 0;
fail:
  json_decref(o);
  memset(ev, 0, sizeof *ev);
  return rc;
}

void mp_circ_event_release(mp_circ_event_t *ev) {
  json_decref(ev->json);
  memset(ev, 0, sizeof *ev);
}
