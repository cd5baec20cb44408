/* --json: one JSON object on stdout per run, built with json-c (messages
 * stay on stderr); the pieces the commands share. */
#ifndef AD_REPORT_H
#define AD_REPORT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "issue.h"
#include "settings.h"

/* A JSON list of V[0..n). */
json_object *ad_json_strs(char *const *v, size_t n);
/* O[KEY] = S, unless S is NULL. */
void ad_json_str(json_object *o, const char *key, const char *s);
/* O[KEY] = T as RFC 3339 text. */
void ad_json_time(json_object *o, const char *key, int64_t t);
/* The phases of TM in milliseconds, the total, and what HF counted (HF may
 * be NULL). */
json_object *ad_json_timings(const struct ad_timings *tm, const struct ad_http_figures *hf);
/* [{"name": provider, "domains": [...]}, ...]: who serves which of S's names. */
json_object *ad_json_providers(const struct ad_settings *s);
/* Write O to stdout (pretty, one object) and release it. */
void ad_json_print(json_object *o);

#endif
