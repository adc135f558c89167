/* services.c: the circulation consumer services, one row each (circ.h).
 *
 * Adding a third service (say "notices"):
 *   1. a migration defines circ_apply_notices(msgs jsonb) RETURNS int: it
 *      gets the batch's new messages [{"j","s","p","o","e": event}] in
 *      offset order, applies each event at most once (by eventId: its own
 *      table keyed by it, or circ_applied) and returns how many it applied
 *      now; it runs inside the batch's transaction (circ_apply_batch);
 *   2. a row below: {"notices", "what it does"};
 *   3. run it: `marcpipe circ work --service notices` (group
 *      marcpipe.circ.notices). Window, batches, offsets, retries, progress
 *      and the producer's credit come with the worker and the sink.
 */
#include "marcpipe/circ.h"

#include <string.h>

static const mp_circ_service_t services[] = {
    {"blocks", "patron blocks: per-patron loans, losses, fees and limits"},
    {"audit", "audit log: one append-only row per event"},
};

const mp_circ_service_t *mp_circ_service_find(const char *name) {
  for (size_t i = 0; name && i < sizeof services / sizeof *services; i++)
    if (!strcmp(services[i].name, name))
      return &services[i];
  return NULL;
}

const mp_circ_service_t *mp_circ_services(size_t *n) {
  *n = sizeof services / sizeof *services;
  return services;
}
