/* schema.c: the Instance properties a rule may target.
 *
 * A table, not code: each property has a kind that decides how values are
 * stored (scalar first-wins, string array, object array, single object,
 * boolean) and, for object arrays, the members an object needs to be kept
 * (the Instance schema's required item properties). Immutable data.
 */
#include "mapping/mapping_impl.h"

#include <string.h>

static const mp__target_t targets[] = {
    {"hrid", MP__T_STRING, {0}},
    {"title", MP__T_STRING, {0}},
    {"indexTitle", MP__T_STRING, {0}},
    {"instanceTypeId", MP__T_STRING, {0}},
    {"modeOfIssuanceId", MP__T_STRING, {0}},
    {"statusId", MP__T_STRING, {0}},
    {"languages", MP__T_STRINGS, {0}},
    {"editions", MP__T_STRINGS, {0}},
    {"physicalDescriptions", MP__T_STRINGS, {0}},
    {"publicationFrequency", MP__T_STRINGS, {0}},
    {"publicationRange", MP__T_STRINGS, {0}},
    {"instanceFormatIds", MP__T_STRINGS, {0}},
    {"administrativeNotes", MP__T_STRINGS, {0}},
    {"identifiers", MP__T_OBJECTS, {"value", "identifierTypeId"}},
    {"contributors", MP__T_OBJECTS, {"name", "contributorNameTypeId"}},
    {"alternativeTitles", MP__T_OBJECTS, {"alternativeTitle"}},
    {"series", MP__T_OBJECTS, {"value"}},
    {"subjects", MP__T_OBJECTS, {"value"}},
    {"classifications",
     MP__T_OBJECTS,
     {"classificationNumber", "classificationTypeId"}},
    {"publication", MP__T_OBJECTS, {0}},
    {"notes", MP__T_OBJECTS, {"note", "instanceNoteTypeId"}},
    {"electronicAccess", MP__T_OBJECTS, {"uri"}},
    {"precedingTitles", MP__T_OBJECTS, {"title"}},
    {"succeedingTitles", MP__T_OBJECTS, {"title"}},
    {"dates", MP__T_OBJECT, {0}},
    {"discoverySuppress", MP__T_BOOL, {0}},
    {"staffSuppress", MP__T_BOOL, {0}},
    {"previouslyHeld", MP__T_BOOL, {0}},
};

const mp__target_t *mp__target_find(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strlen(targets[i].name) == len && memcmp(targets[i].name, name, len) == 0)
      return &targets[i];
  return NULL;
}

size_t mp__target_id(const mp__target_t *t) { return (size_t)(t - targets); }

_Static_assert(sizeof targets / sizeof targets[0] <= MP__NTARGETS,
               "MP__NTARGETS too small");
