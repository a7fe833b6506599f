/* bundled.h: where the models shipped with OpenMed-C (models/ in the source tree) are found. */
#ifndef OM_MODELS_BUNDLED_H
#define OM_MODELS_BUNDLED_H

#include <stddef.h>

/* The folder of a bundled model: which = "disease" (disease NER, the default of `analyze` and
 * `eval`) or "pii" (PII detection). Searched in order:
 *   1. $OPENMED_MODELS_DIR/<folder>
 *   2. <folder of libopenmed>/../share/openmed/models/<folder> (an installed tree; core/install_dir.h)
 *   3. <source tree this file was compiled from>/models/<folder> (a build tree)
 * where <folder> is "disease-ner" or "pii"; a candidate counts when it holds config.json.
 * Writes the path to buf and returns buf, or returns NULL when `which` is unknown, no candidate
 * exists or the path does not fit. Never touches the network. */
const char *om_bundled_model_dir(const char *which, char *buf, size_t size);

/* The folder name of a bundled model ("disease-ner", "pii") or NULL for an unknown `which`. */
const char *om_bundled_model_folder(const char *which);

#endif
