/* gen.c: a realistic circulation event stream and its oracle (circ.h).
 *
 * A small model of a library runs over about six months: patrons in
 * groups borrow free items (three-week loans), renew, get recalled,
 * return (late returns raise an overdue fine), declare items lost or let
 * them age to lost (a replacement fee), claim returns, and pay fees (a
 * lost item's loan closes when its fee is paid). Every event is written
 * by emit(), which also applies it to the model with the semantics of the
 * blocks service (schemas/sql/006_circulation.sql), so the model at the
 * end is the summary every patron must have: the oracle. Duplicates (same
 * eventId, a few events later) are written but change nothing.
 *
 * Deterministic: one splitmix64 stream seeded by the options, fixed start
 * time, no locale or clock; the same options give the same bytes.
 */
#include "marcpipe/circ.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY 86400
#define START 1767600000 /* 2026-01-05T08:00:00Z */
#define SPAN (180 * DAY)
#define LOAN_DAYS 21

typedef struct loan_s {
  uint64_t id, item;
  int64_t due;
  bool recall, claimed;
  int lost; /* 0, 1 declared, 2 aged */
} loan_t;

typedef struct fee_s {
  uint64_t id, loan; /* loan 0 = none */
  int64_t cents;
  int type;          /* 0 overdue fine, 1 lost item fee */
} fee_t;

typedef struct patron_s {
  const char *group;
  loan_t *loans;
  size_t nloans, caploans;
  fee_t *fees;
  size_t nfees, capfees;
  bool seen;
} patron_t;

typedef struct dup_s {
  uint64_t due_at; /* written count at which to write it again */
  char *line;
} dup_t;

typedef struct gen_s {
  const mp_circ_gen_opts_t *o;
  FILE *out;
  uint64_t rng;
  patron_t *p;
  bool *on_loan;
  uint64_t nitems;
  int64_t now;
  uint64_t written, unique, next_loan, next_fee;
  dup_t *dups;
  size_t ndups, capdups;
  int rc;
} gen_t;

static uint64_t rnd(gen_t *g) {
  uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t below(gen_t *g, uint64_t n) { return n ? rnd(g) % n : 0; }

static void fmt_time(int64_t t, char *buf, size_t n) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool budget(const gen_t *g) {
  return !g->rc && g->written + g->ndups < g->o->events;
}

static void write_line(gen_t *g, const char *line) {
  if (fputs(line, g->out) == EOF)
    g->rc = MP_EIO;
  g->written++;
}

/* Write the duplicates whose turn has come. */
static void flush_dups(gen_t *g, bool all) {
  for (size_t i = 0; i < g->ndups;) {
    if (all || g->dups[i].due_at <= g->written) {
      write_line(g, g->dups[i].line);
      free(g->dups[i].line);
      g->dups[i] = g->dups[--g->ndups];
    } else {
      i++;
    }
  }
}

/* What an event carries beyond the common members. */
typedef struct ev_s {
  mp_circ_type_t type;
  uint32_t user;
  const loan_t *loan;
  int64_t due;       /* CHECKED_OUT, DUE_DATE_CHANGED */
  bool recall;
  const fee_t *fee;  /* FEE_FINE_BALANCE_CHANGED (balance = fee->cents) */
} ev_t;

/* Write one event (and maybe schedule its duplicate). False when the
 * budget is spent: the caller must not apply it to the model. */
static bool emit(gen_t *g, const ev_t *e) {
  if (!budget(g))
    return false;
  char line[1024], t[32], due[32];
  fmt_time(g->now, t, sizeof t);
  int n = snprintf(line, sizeof line,
                   "{\"eventId\":\"e-%" PRIx64 "-%08" PRIu64 "\","
                   "\"eventType\":\"%s\",\"tenant\":\"%s\","
                   "\"userId\":\"u-%05" PRIu32 "\",\"patronGroup\":\"%s\","
                   "\"eventTime\":\"%s\"",
                   g->o->seed, g->unique + 1, mp_circ_type_name(e->type),
                   g->o->tenant, e->user, g->p[e->user].group, t);
  if (e->loan)
    n += snprintf(line + n, sizeof line - (size_t)n,
                  ",\"loanId\":\"l-%07" PRIu64 "\",\"itemId\":\"i-%06" PRIu64
                  "\"", e->loan->id, e->loan->item);
  if (e->type == MP_CIRC_CHECKED_OUT || e->type == MP_CIRC_DUE_DATE_CHANGED) {
    fmt_time(e->due, due, sizeof due);
    n += snprintf(line + n, sizeof line - (size_t)n, ",\"dueDate\":\"%s\"", due);
  }
  if (e->type == MP_CIRC_DUE_DATE_CHANGED)
    n += snprintf(line + n, sizeof line - (size_t)n,
                  ",\"dueDateChangedByRecall\":%s", e->recall ? "true" : "false");
  if (e->type == MP_CIRC_CHECKED_IN)
    n += snprintf(line + n, sizeof line - (size_t)n, ",\"returnDate\":\"%s\"", t);
  if (e->fee) {
    n += snprintf(line + n, sizeof line - (size_t)n,
                  ",\"feeFineId\":\"f-%07" PRIu64 "\",\"feeFineTypeId\":\"%s\","
                  "\"balance\":%" PRId64 ".%02" PRId64,
                  e->fee->id, e->fee->type ? "lost-item-fee" : "overdue-fine",
                  e->fee->cents / 100, e->fee->cents % 100);
    if (e->fee->loan)
      n += snprintf(line + n, sizeof line - (size_t)n,
                    ",\"loanId\":\"l-%07" PRIu64 "\"", e->fee->loan);
  }
  snprintf(line + n, sizeof line - (size_t)n, "}\n");
  g->unique++;
  g->p[e->user].seen = true;
  write_line(g, line);
  if (g->o->duplicate_pct && below(g, 100) < g->o->duplicate_pct && budget(g)) {
    char *copy = NULL;
    if (mp_array_room(&g->dups, g->ndups, &g->capdups, sizeof *g->dups, 64) ||
        !(copy = strdup(line))) {
      g->rc = MP_ENOMEM;
      return true;
    }
    g->dups[g->ndups++] = (dup_t){g->written + 1 + below(g, 50), copy};
  }
  return true;
}

/* ---- the model: each change is applied only if its event was written ---- */

static loan_t *add_loan(patron_t *p) {
  if (mp_array_room(&p->loans, p->nloans, &p->caploans, sizeof *p->loans, 8))
    return NULL;
  return &p->loans[p->nloans++];
}

static fee_t *add_fee(patron_t *p) {
  if (mp_array_room(&p->fees, p->nfees, &p->capfees, sizeof *p->fees, 8))
    return NULL;
  return &p->fees[p->nfees++];
}

static void remove_loan(gen_t *g, patron_t *p, size_t i) {
  g->on_loan[p->loans[i].item] = false;
  p->loans[i] = p->loans[--p->nloans];
}

/* A fee of cents on the patron (a new fee/fine). */
static void charge(gen_t *g, uint32_t u, uint64_t loan, int type,
                   int64_t cents) {
  fee_t f = {g->next_fee + 1, loan, cents, type};
  ev_t e = {.type = MP_CIRC_FEE_FINE_BALANCE_CHANGED, .user = u, .fee = &f};
  if (!emit(g, &e))
    return;
  g->next_fee++;
  fee_t *slot = add_fee(&g->p[u]);
  if (!slot)
    g->rc = MP_ENOMEM;
  else
    *slot = f;
}

static void act_checkout(gen_t *g, uint32_t u) {
  patron_t *p = &g->p[u];
  if (p->nloans >= 14)
    return;
  uint64_t item = 0;
  for (int tries = 0; tries < 8 && !item; tries++) {
    uint64_t c = 1 + below(g, g->nitems - 1);
    if (!g->on_loan[c])
      item = c;
  }
  if (!item)
    return;
  loan_t l = {.id = g->next_loan + 1, .item = item,
              .due = g->now + LOAN_DAYS * DAY};
  ev_t e = {.type = MP_CIRC_CHECKED_OUT, .user = u, .loan = &l, .due = l.due};
  if (!emit(g, &e))
    return;
  g->next_loan++;
  loan_t *slot = add_loan(p);
  if (!slot) {
    g->rc = MP_ENOMEM;
    return;
  }
  *slot = l;
  g->on_loan[item] = true;
}

static void act_checkin(gen_t *g, uint32_t u, size_t i) {
  patron_t *p = &g->p[u];
  loan_t l = p->loans[i];
  ev_t e = {.type = MP_CIRC_CHECKED_IN, .user = u, .loan = &l};
  if (!emit(g, &e))
    return;
  remove_loan(g, p, i);
  int64_t late_days = (g->now - l.due) / DAY;
  if (late_days > 0 && !l.lost)
    charge(g, u, l.id, 0, late_days * 25 > 1000 ? 1000 : late_days * 25);
}

static void act_due_change(gen_t *g, uint32_t u, size_t i, bool recall) {
  loan_t *l = &g->p[u].loans[i];
  int64_t due = recall ? g->now + 7 * DAY : g->now + LOAN_DAYS * DAY;
  if (recall && due > l->due)
    due = l->due;
  ev_t e = {.type = MP_CIRC_DUE_DATE_CHANGED, .user = u, .loan = l,
            .due = due, .recall = recall};
  if (!emit(g, &e))
    return;
  l->due = due;
  l->recall = l->recall || recall;
}

static void act_lost(gen_t *g, uint32_t u, size_t i, int how) {
  loan_t *l = &g->p[u].loans[i];
  ev_t e = {.type = how == 1 ? MP_CIRC_DECLARED_LOST : MP_CIRC_AGED_TO_LOST,
            .user = u, .loan = l};
  if (!emit(g, &e))
    return;
  l->lost = how;
  uint64_t loan = l->id;
  charge(g, u, loan, 1, 2500 + (int64_t)below(g, 56) * 100);
}

static void act_claim(gen_t *g, uint32_t u, size_t i) {
  loan_t *l = &g->p[u].loans[i];
  ev_t e = {.type = MP_CIRC_CLAIMED_RETURNED, .user = u, .loan = l};
  if (emit(g, &e))
    l->claimed = true;
}

static void act_pay(gen_t *g, uint32_t u, size_t i) {
  patron_t *p = &g->p[u];
  fee_t f = p->fees[i];
  f.cents = below(g, 3) ? 0 : f.cents / 2;
  ev_t e = {.type = MP_CIRC_FEE_FINE_BALANCE_CHANGED, .user = u, .fee = &f};
  if (!emit(g, &e))
    return;
  if (f.cents > 0) {
    p->fees[i].cents = f.cents;
    return;
  }
  p->fees[i] = p->fees[--p->nfees];
  /* a lost item paid for: its loan closes */
  for (size_t k = 0; f.type == 1 && k < p->nloans; k++)
    if (p->loans[k].id == f.loan && p->loans[k].lost) {
      ev_t c = {.type = MP_CIRC_LOAN_CLOSED, .user = u, .loan = &p->loans[k]};
      if (emit(g, &c))
        remove_loan(g, p, k);
      break;
    }
}

/* One step: a random patron does a random plausible thing. */
static void step(gen_t *g) {
  uint32_t u = (uint32_t)below(g, g->o->patrons);
  patron_t *p = &g->p[u];
  uint64_t r = below(g, 100);
  size_t i = p->nloans ? (size_t)below(g, p->nloans) : 0;
  loan_t *l = p->nloans ? &p->loans[i] : NULL;
  bool active = l && !l->lost && !l->claimed;
  if (r < 38 || !p->nloans) {
    if (r < 12 && p->nfees)
      act_pay(g, u, (size_t)below(g, p->nfees));
    else
      act_checkout(g, u);
  } else if (r < 64) {
    if (!l->lost)
      act_checkin(g, u, i);
  } else if (r < 76) {
    if (active)
      act_due_change(g, u, i, false);
  } else if (r < 80) {
    if (active)
      act_due_change(g, u, i, true);
  } else if (r < 83) {
    if (active)
      act_lost(g, u, i, 1);
  } else if (r < 86) {
    if (active && g->now - l->due > 30 * DAY)
      act_lost(g, u, i, 2);
  } else if (r < 88) {
    if (active)
      act_claim(g, u, i);
  } else if (p->nfees) {
    act_pay(g, u, (size_t)below(g, p->nfees));
  }
}

/* ---- oracle ---- */

static int cmp_loan(const void *a, const void *b) {
  uint64_t x = ((const loan_t *)a)->id, y = ((const loan_t *)b)->id;
  return x < y ? -1 : x > y;
}
static int cmp_fee(const void *a, const void *b) {
  uint64_t x = ((const fee_t *)a)->id, y = ((const fee_t *)b)->id;
  return x < y ? -1 : x > y;
}

static void write_oracle(gen_t *g, FILE *f) {
  char t[32];
  fmt_time(g->now, t, sizeof t);
  fprintf(f, "{\"events\":%" PRIu64 ",\"unique_events\":%" PRIu64
             ",\"as_of\":\"%s\",\"patrons\":[",
          g->written, g->unique, t);
  bool first = true;
  for (uint32_t u = 0; u < g->o->patrons; u++) {
    patron_t *p = &g->p[u];
    if (!p->seen)
      continue;
    if (p->nloans) /* qsort wants a non-NULL array even for 0 */
      qsort(p->loans, p->nloans, sizeof *p->loans, cmp_loan);
    if (p->nfees)
      qsort(p->fees, p->nfees, sizeof *p->fees, cmp_fee);
    fprintf(f, "%s\n{\"userId\":\"u-%05" PRIu32 "\",\"patronGroup\":\"%s\","
               "\"openLoans\":[",
            first ? "" : ",", u, p->group);
    first = false;
    for (size_t i = 0; i < p->nloans; i++) {
      loan_t *l = &p->loans[i];
      fmt_time(l->due, t, sizeof t);
      fprintf(f, "%s{\"loanId\":\"l-%07" PRIu64 "\",\"itemId\":\"i-%06" PRIu64
                 "\",\"dueDate\":\"%s\",\"recall\":%s,\"lost\":%s,"
                 "\"claimedReturned\":%s}",
              i ? "," : "", l->id, l->item, t, l->recall ? "true" : "false",
              l->lost == 1 ? "\"declared\"" : l->lost == 2 ? "\"aged\"" : "null",
              l->claimed ? "true" : "false");
    }
    fputs("],\"feesFines\":[", f);
    int64_t total = 0;
    for (size_t i = 0; i < p->nfees; i++) {
      fee_t *e = &p->fees[i];
      total += e->cents;
      fprintf(f, "%s{\"feeFineId\":\"f-%07" PRIu64 "\",\"balance\":\"%" PRId64
                 ".%02" PRId64 "\"}",
              i ? "," : "", e->id, e->cents / 100, e->cents % 100);
    }
    fprintf(f, "],\"outstandingBalance\":\"%" PRId64 ".%02" PRId64 "\"}",
            total / 100, total % 100);
  }
  fputs("\n]}\n", f);
}

int mp_circ_gen(const mp_circ_gen_opts_t *o, FILE *events, FILE *oracle,
                char *errbuf, size_t errlen) {
  static const char *const groups[10] = {
      "undergrad", "undergrad", "undergrad", "undergrad", "undergrad",
      "undergrad", "graduate",  "graduate",  "staff",     "faculty"};
  if (!o->patrons || o->duplicate_pct > 50 || !o->tenant) {
    snprintf(errbuf, errlen, "patrons must be >= 1 and duplicates 0..50%%");
    return MP_EUSAGE;
  }
  gen_t g = {.o = o, .out = events, .rng = o->seed ^ 0x6369726373656564ull,
             .now = START};
  g.nitems = (uint64_t)o->patrons * 8 + 100;
  g.p = calloc(o->patrons, sizeof *g.p);
  g.on_loan = calloc(g.nitems, sizeof *g.on_loan);
  if (!g.p || !g.on_loan) {
    g.rc = MP_ENOMEM;
    goto out;
  }
  for (uint32_t u = 0; u < o->patrons; u++)
    g.p[u].group = groups[below(&g, 10)];
  uint64_t avg = o->events ? SPAN / o->events : SPAN;
  while (budget(&g)) {
    g.now += 1 + (int64_t)below(&g, 2 * avg + 1);
    step(&g);
    flush_dups(&g, false);
  }
  flush_dups(&g, true);
  if (!g.rc && (fflush(events) || ferror(events)))
    g.rc = MP_EIO;
  if (!g.rc && oracle) {
    write_oracle(&g, oracle);
    if (fflush(oracle) || ferror(oracle))
      g.rc = MP_EIO;
  }
out:
  if (g.rc)
    snprintf(errbuf, errlen, "%s", mp_strerror(g.rc));
  for (uint32_t u = 0; g.p && u < o->patrons; u++) {
    free(g.p[u].loans);
    free(g.p[u].fees);
  }
  for (size_t i = 0; i < g.ndups; i++)
    free(g.dups[i].line);
  free(g.dups);
  free(g.p);
  free(g.on_loan);
  return g.rc;
}
