/* cmd_circ_gen.c: `marcpipe circ gen`: a realistic circulation event
 * stream (NDJSON) and, beside it, the summary every patron must have once
 * every event is applied (mp_circ_gen, circ.h). */
#include "cli/cmd_circ.h"

#include "marcpipe/circ.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
"usage: marcpipe circ gen --events M [--patrons N] [--seed S]\n"
"                         [--duplicates PCT] [--tenant T] -o EVENTS\n"
"                         [--oracle STATE]\n"
"\n"
"Write M circulation events (NDJSON) of N patrons over about six months:\n"
"check-outs of free items (three-week loans), renewals and recalls\n"
"(due-date changes), returns (late ones fined), items declared lost or aged\n"
"to lost (a replacement fee), claimed returns, payments (a lost item's loan\n"
"closes when its fee is paid). --duplicates PCT writes that share of events\n"
"a second time a few lines later (same eventId: consumers must apply it once).\n"
"STATE is the oracle: {\"events\", \"unique_events\", \"as_of\", \"patrons\": [the\n"
"summary of each patron, as `marcpipe circ summary` prints it]}.\n"
"The same options give the same bytes.\n"
"\n"
"  --events M        events to write, duplicates included (required)\n"
"  --patrons N       patrons (default 100)\n"
"  --seed S          random seed (default 1)\n"
"  --duplicates PCT  0..50 (default 0)\n"
"  --tenant T        the events' tenant (default %s)\n"
"  -o FILE           events file (- = stdout)\n"
"  --oracle FILE     the final state every patron must have\n",
          MP_DEFAULT_TENANT);
}

int circ_gen(int argc, char **argv) {
  mp_circ_gen_opts_t o = {.seed = 1, .patrons = 100,
                          .tenant = MP_DEFAULT_TENANT};
  const char *out = NULL, *oracle = NULL, *v;
  uint64_t x;
  bool have_events = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (!(v = circ_value("gen", argc, argv, &i)))
      return 2;
    if (!strcmp(a, "--events")) {
      if (circ_count("gen", a, v, UINT64_C(1) << 40, &o.events)) return 2;
      have_events = true;
    } else if (!strcmp(a, "--patrons")) {
      if (circ_count("gen", a, v, 10000000, &x) || !x) return 2;
      o.patrons = (unsigned)x;
    } else if (!strcmp(a, "--seed")) {
      if (circ_count("gen", a, v, UINT64_MAX, &o.seed)) return 2;
    } else if (!strcmp(a, "--duplicates")) {
      if (circ_count("gen", a, v, 50, &x)) return 2;
      o.duplicate_pct = (unsigned)x;
    } else if (!strcmp(a, "--tenant")) {
      o.tenant = v;
    } else if (!strcmp(a, "-o")) {
      out = v;
    } else if (!strcmp(a, "--oracle")) {
      oracle = v;
    } else {
      fprintf(stderr, "marcpipe circ gen: unknown option '%s'\n", a);
      return 2;
    }
  }
  if (!have_events || !out) {
    fprintf(stderr, "marcpipe circ gen: --events and -o are required\n");
    return 2;
  }
  if (!mp_tenant_valid(o.tenant)) {
    fprintf(stderr, "marcpipe circ gen: invalid tenant '%s'\n", o.tenant);
    return 2;
  }
  FILE *ef = strcmp(out, "-") ? fopen(out, "wb") : stdout;
  FILE *of = oracle ? fopen(oracle, "wb") : NULL;
  if (!ef || (oracle && !of)) {
    fprintf(stderr, "marcpipe circ gen: cannot write %s\n",
            !ef ? out : oracle);
    if (ef && ef != stdout)
      fclose(ef);
    return 1;
  }
  char err[256];
  int rc = mp_circ_gen(&o, ef, of, err, sizeof err);
  if (ef != stdout && fclose(ef) && !rc)
    snprintf(err, sizeof err, "%s: write failed", out), rc = -1;
  if (of && fclose(of) && !rc)
    snprintf(err, sizeof err, "%s: write failed", oracle), rc = -1;
  if (rc) {
    fprintf(stderr, "marcpipe circ gen: %s\n", err);
    return 1;
  }
  return 0;
}
