/* privacy_routing.h: which model names take the privacy-filter route, as OpenMed decides it
 * (openmed/core/pii.py, openmed/core/backends.py; behaviour spec 6.1-6.2).
 *
 * A name is a privacy-filter model when, stripped, lower-cased and with "_" read as "-", it is
 * "openai-privacy-filter" or "privacy-filter", starts with "openai/privacy-filter", is
 * "openmed/privacy-filter" or starts with "openmed/privacy-filter-". Look-alikes from other owners
 * ("acme/privacy-filter", "openmed/privacy-filterx") are rejected. A local folder is one when its
 * openmed-mlx.json or config.json names such a model in family, _mlx_family, _mlx_model_type,
 * model_type, source_model_id or _name_or_path.
 *
 * MLX artifacts cannot run here (no MLX): a name containing "mlx" is replaced by its PyTorch
 * checkpoint ("multilingual" -> OpenMed/privacy-filter-multilingual, "nemotron" ->
 * OpenMed/privacy-filter-nemotron, else openai/privacy-filter) with a warning through om_log,
 * once per name.
 */
#ifndef OM_HUB_PRIVACY_ROUTING_H
#define OM_HUB_PRIVACY_ROUTING_H

#include <stddef.h>

#include "openmed.h"

/* 1 if the identifier (a Hub id or alias, not a path) names a privacy-filter model. */
int om_privacy_filter_name(const char *name);

/* 1 if `dir` is a local model folder whose metadata names a privacy-filter model. */
int om_privacy_filter_folder(const char *dir);

/* 1 if name_or_path takes the privacy-filter route (an identifier or a local folder). */
int om_privacy_filter_route(const char *name_or_path);

/* 1 if name_or_path is an MLX artifact: a local folder (or a file's folder) with openmed-mlx.json,
 * or a config.json with truthy _mlx_model_type and _mlx_weights_format; else a name containing "mlx". */
int om_privacy_filter_is_mlx(const char *name_or_path);

/* The model to load for a privacy-filter name on this (MLX-less) host: the name itself, or, for
 * an MLX artifact (om_privacy_filter_is_mlx), its PyTorch fallback (*substituted = 1, warned once
 * per name). Unlike OpenMed, a local folder that is not an MLX artifact is never substituted, even
 * with "mlx" in its path. Fails only when `out` is too small. */
openmed_status om_privacy_filter_resolve(const char *name_or_path, char *out, size_t out_size, int *substituted,
                                         openmed_error *err);

#endif
