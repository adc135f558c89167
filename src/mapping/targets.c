/* targets.c: the shapes of FOLIO's Instance, Holdings and Authority records
 * as far as mapping rules can target them.
 *
 * Data, not code: each property has a kind that decides how FOLIO's mapper
 * stores a value into it (scalar set, boolean, list, set of strings for the
 * schema's uniqueItems arrays, list of objects, one nested object) and, for
 * object properties, the members with their type. The shapes follow FOLIO's
 * record schemas (instance.json, holdings, authority.json); a rule whose
 * target is not here is refused at load. Immutable.
 */
#include "mapping/mapping_impl.h"

#include <string.h>

#define S(n) {n, false}
#define B(n) {n, true}
#define END {NULL, false}

static const mp__member_t m_alt_title[] = {S("alternativeTitleTypeId"), S("alternativeTitle"),
                                           S("authorityId"), END};
static const mp__member_t m_series[] = {S("value"), S("authorityId"), END};
static const mp__member_t m_ident[] = {S("value"), S("identifierTypeId"), END};
static const mp__member_t m_contrib[] = {S("name"), S("contributorTypeId"),
                                         S("contributorTypeText"), S("contributorNameTypeId"),
                                         S("authorityId"), B("primary"), END};
static const mp__member_t m_subject[] = {S("value"), S("authorityId"), S("sourceId"),
                                         S("typeId"), END};
static const mp__member_t m_class[] = {S("classificationNumber"), S("classificationTypeId"), END};
static const mp__member_t m_pub[] = {S("publisher"), S("place"), S("dateOfPublication"),
                                     S("role"), END};
static const mp__member_t m_eaccess[] = {S("uri"), S("linkText"), S("materialsSpecification"),
                                         S("publicNote"), S("relationshipId"), END};
static const mp__member_t m_dates[] = {S("dateTypeId"), S("date1"), S("date2"), END};
static const mp__member_t m_inote[] = {S("instanceNoteTypeId"), S("note"), B("staffOnly"), END};
static const mp__member_t m_related[] = {S("title"), S("hrid"), S("isbnId"), S("issnId"),
                                         S("isbnValue"), S("issnValue"), END};
static const mp__member_t m_hnote[] = {S("holdingsNoteTypeId"), S("note"), B("staffOnly"), END};
static const mp__member_t m_hstmt[] = {S("statement"), S("note"), S("staffNote"), END};
static const mp__member_t m_anote[] = {S("noteTypeId"), S("note"), END};

static const mp__prop_t instance[] = {
    {"id", MP__K_STRING, NULL},
    {"hrid", MP__K_STRING, NULL},
    {"source", MP__K_STRING, NULL},
    {"title", MP__K_STRING, NULL},
    {"indexTitle", MP__K_STRING, NULL},
    {"alternativeTitles", MP__K_OBJECTS, m_alt_title},
    {"editions", MP__K_STRSET, NULL},
    {"series", MP__K_OBJECTS, m_series},
    {"identifiers", MP__K_OBJECTS, m_ident},
    {"contributors", MP__K_OBJECTS, m_contrib},
    {"subjects", MP__K_OBJECTS, m_subject},
    {"classifications", MP__K_OBJECTS, m_class},
    {"publication", MP__K_OBJECTS, m_pub},
    {"publicationFrequency", MP__K_STRSET, NULL},
    {"publicationRange", MP__K_STRSET, NULL},
    {"electronicAccess", MP__K_OBJECTS, m_eaccess},
    {"dates", MP__K_OBJECT, m_dates},
    {"instanceTypeId", MP__K_STRING, NULL},
    {"instanceFormatIds", MP__K_STRINGS, NULL},
    {"physicalDescriptions", MP__K_STRINGS, NULL},
    {"languages", MP__K_STRINGS, NULL},
    {"notes", MP__K_OBJECTS, m_inote},
    {"administrativeNotes", MP__K_STRINGS, NULL},
    {"modeOfIssuanceId", MP__K_STRING, NULL},
    {"catalogedDate", MP__K_STRING, NULL},
    {"previouslyHeld", MP__K_BOOL, NULL},
    {"staffSuppress", MP__K_BOOL, NULL},
    {"discoverySuppress", MP__K_BOOL, NULL},
    {"deleted", MP__K_BOOL, NULL},
    {"statisticalCodeIds", MP__K_STRINGS, NULL},
    {"statusId", MP__K_STRING, NULL},
    {"statusUpdatedDate", MP__K_STRING, NULL},
    {"natureOfContentTermIds", MP__K_STRINGS, NULL},
    {"precedingTitles", MP__K_OBJECTS, m_related},
    {"succeedingTitles", MP__K_OBJECTS, m_related},
};

static const mp__prop_t holdings[] = {
    {"id", MP__K_STRING, NULL},
    {"hrid", MP__K_STRING, NULL},
    {"holdingsTypeId", MP__K_STRING, NULL},
    {"formerIds", MP__K_STRSET, NULL},
    {"instanceId", MP__K_STRING, NULL},
    {"permanentLocationId", MP__K_STRING, NULL},
    {"temporaryLocationId", MP__K_STRING, NULL},
    {"effectiveLocationId", MP__K_STRING, NULL},
    {"electronicAccess", MP__K_OBJECTS, m_eaccess},
    {"callNumberTypeId", MP__K_STRING, NULL},
    {"callNumberPrefix", MP__K_STRING, NULL},
    {"callNumber", MP__K_STRING, NULL},
    {"callNumberSuffix", MP__K_STRING, NULL},
    {"shelvingTitle", MP__K_STRING, NULL},
    {"acquisitionFormat", MP__K_STRING, NULL},
    {"acquisitionMethod", MP__K_STRING, NULL},
    {"receiptStatus", MP__K_STRING, NULL},
    {"administrativeNotes", MP__K_STRINGS, NULL},
    {"notes", MP__K_OBJECTS, m_hnote},
    {"illPolicyId", MP__K_STRING, NULL},
    {"retentionPolicy", MP__K_STRING, NULL},
    {"digitizationPolicy", MP__K_STRING, NULL},
    {"holdingsStatements", MP__K_OBJECTS, m_hstmt},
    {"holdingsStatementsForIndexes", MP__K_OBJECTS, m_hstmt},
    {"holdingsStatementsForSupplements", MP__K_OBJECTS, m_hstmt},
    {"copyNumber", MP__K_STRING, NULL},
    {"numberOfItems", MP__K_STRING, NULL},
    {"discoverySuppress", MP__K_BOOL, NULL},
    {"statisticalCodeIds", MP__K_STRSET, NULL},
    {"sourceId", MP__K_STRING, NULL},
};

/* Authority headings: the heading itself (a string) and its see-from
 * (sft...) and see-also-from (saft...) tracings (lists of strings). */
#define HEADING(n, N)                                                          \
  {n, MP__K_STRING, NULL}, {"sft" N, MP__K_STRINGS, NULL},                     \
      {"saft" N, MP__K_STRINGS, NULL}
static const mp__prop_t authority[] = {
    {"id", MP__K_STRING, NULL},
    HEADING("personalName", "PersonalName"),
    HEADING("personalNameTitle", "PersonalNameTitle"),
    HEADING("corporateName", "CorporateName"),
    HEADING("corporateNameTitle", "CorporateNameTitle"),
    HEADING("meetingName", "MeetingName"),
    HEADING("meetingNameTitle", "MeetingNameTitle"),
    HEADING("uniformTitle", "UniformTitle"),
    HEADING("namedEvent", "NamedEvent"),
    HEADING("chronTerm", "ChronTerm"),
    HEADING("mediumPerfTerm", "MediumPerfTerm"),
    HEADING("geographicSubdivision", "GeographicSubdivision"),
    HEADING("chronSubdivision", "ChronSubdivision"),
    HEADING("formSubdivision", "FormSubdivision"),
    HEADING("generalSubdivision", "GeneralSubdivision"),
    HEADING("topicalTerm", "TopicalTerm"),
    HEADING("geographicName", "GeographicName"),
    HEADING("genreTerm", "GenreTerm"),
    {"subjectHeadings", MP__K_STRING, NULL},
    {"identifiers", MP__K_OBJECTS, m_ident},
    {"notes", MP__K_OBJECTS, m_anote},
    {"sourceFileId", MP__K_STRING, NULL},
    {"naturalId", MP__K_STRING, NULL},
};

#define NPROPS(a) (sizeof a / sizeof a[0])
_Static_assert(NPROPS(instance) <= MP__MAX_PROPS, "MP__MAX_PROPS");
_Static_assert(NPROPS(holdings) <= MP__MAX_PROPS, "MP__MAX_PROPS");
_Static_assert(NPROPS(authority) <= MP__MAX_PROPS, "MP__MAX_PROPS");

static const mp__shape_t shapes[MP_FAMILIES] = {
    {"Instance", instance, NPROPS(instance)},
    {"Holdings", holdings, NPROPS(holdings)},
    {"Authority", authority, NPROPS(authority)},
};

const mp__shape_t *mp__shape(mp_family_t f) {
  return f >= 0 && f < MP_FAMILIES ? &shapes[f] : NULL;
}

int mp__shape_prop(const mp__shape_t *s, const char *name, size_t len) {
  for (size_t i = 0; i < s->nprops; i++)
    if (strlen(s->props[i].name) == len &&
        memcmp(s->props[i].name, name, len) == 0)
      return (int)i;
  return -1;
}

int mp__prop_member(const mp__prop_t *p, const char *name) {
  if (!p->members)
    return -1;
  for (int i = 0; p->members[i].name; i++)
    if (strcmp(p->members[i].name, name) == 0)
      return i;
  return -1;
}

static const char *const fam_names[MP_FAMILIES] = {"bib", "holdings",
                                                   "authority"};

mp_family_t mp_mapping_family_of(char t) {
  if (t && strchr("acdefgijkmoprt", t))
    return MP_FAMILY_BIB;
  if (t && strchr("uvxy", t))
    return MP_FAMILY_HOLDINGS;
  if (t == 'z')
    return MP_FAMILY_AUTHORITY;
  return MP_FAMILY_NONE;
}

const char *mp_family_name(mp_family_t f) {
  return f >= 0 && f < MP_FAMILIES ? fam_names[f] : "none";
}

const char *mp_family_target(mp_family_t f) {
  return f >= 0 && f < MP_FAMILIES ? shapes[f].name : "none";
}

mp_family_t mp_family_parse(const char *s) {
  for (int i = 0; i < MP_FAMILIES; i++)
    if (strcmp(s, fam_names[i]) == 0)
      return (mp_family_t)i;
  return MP_FAMILY_NONE;
}
