/* SPDX-License-Identifier: MIT */
/*
 * schema_check.h — a JSON Schema validator for the subset of draft 2020-12
 * that contrib/schema/report.schema.json uses, written for the tests on top
 * of cJSON (Debian 12 packages no C JSON Schema library; the Python one would
 * add an interpreter to the test dependencies for one check).
 *
 * Keywords: type (a name or a list), properties, required,
 * additionalProperties (false or a schema), items, enum, const, minimum,
 * maximum, minItems, maxItems, pattern (POSIX extended regular expressions,
 * which the patterns in our schema are written in), $ref (only
 * "#/$defs/NAME"), $defs; the annotations $schema, $id, title and
 * description are ignored. Any other keyword is an error, so the schema
 * cannot come to rely on a check that this validator does not make.
 * As the standard says, minimum/maximum apply to numbers only, pattern to
 * strings only, properties/required to objects only, items to arrays only.
 */
#ifndef RW_SCHEMA_CHECK_H
#define RW_SCHEMA_CHECK_H

#include <cjson/cJSON.h>
#include <stddef.h>

/**
 * Validates @p doc against @p schema (its own root resolves $ref).
 * @param err  on failure, the first problem with its JSON path, e.g.
 *             "$.runners[3].uptime: 1.5 is above the maximum 1".
 * @return 0 valid; -1 invalid, or a schema this validator cannot check.
 */
int schema_check(const cJSON *schema, const cJSON *doc, char *err, size_t errlen);

#endif
