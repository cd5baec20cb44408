/*
 * What the Cloudflare provider reads from the API's answers: the JSON
 * envelope, its errors, zone and record lists, the id of a new record.  No
 * I/O: the fuzz target (tests/fuzz/fuzz_cloudflare.c) calls them on any
 * bytes, the plugin on the bodies libcurl received.
 */
#ifndef AD_CF_PARSE_H
#define AD_CF_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cf_util.h"

/* BODY (LEN bytes) as the API's envelope: a JSON object (nested at most 32
 * deep) with a boolean "success".  NULL otherwise.  Caller frees with
 * json_object_put. */
struct json_object *ad_cf_envelope_parse(const char *body, size_t len);

bool ad_cf_env_success(struct json_object *env);
/* True when CODE appears in errors[] or in an error_chain. */
bool ad_cf_env_has_code(struct json_object *env, int code);
/* "[code] message; [code] message (chain: [code] message)" sanitized. */
void ad_cf_env_errors(struct json_object *env, char *buf, size_t len);

/* result_info.total_pages, clamped to 1..MAX. */
int ad_cf_total_pages(struct json_object *env, int max);

/* A zone list's pick for NAME: the first active zone of that name (id),
 * else the first of that name in another status (other, other_status).
 * Fields left empty are not found; only ids that pass ad_cf_id_ok count. */
struct ad_cf_zone_pick {
    char id[AD_CF_ID_MAX + 1];
    char other[AD_CF_ID_MAX + 1];
    char other_status[32]; /* sanitized */
};

/* Look at the zones of one page ENV for NAME; true once Z->id is set. */
bool ad_cf_zone_pick(struct json_object *env, const char *name, struct ad_cf_zone_pick *z);

/* The ids of the TXT records at NAME whose content carries VALUE in a
 * record list ENV, appended to IDS (*N of them, at most MAX). */
void ad_cf_records_match(struct json_object *env, const char *name, const char *value,
                         char (*ids)[AD_CF_ID_MAX + 1], size_t max, size_t *n);

/* The id of the record an answer to a POST created (result.id), or NULL
 * (borrowed from ENV). */
const char *ad_cf_created_id(struct json_object *env);

#endif
