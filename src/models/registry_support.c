/* registry_support.c: can this engine run a registry model? Read from its manifest row (task,
 * formats, the manifest's architecture label) against the architecture families implemented here. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hub/registry.h"
#include "models/arch.h"
#include "openmed.h"

static int has_item(const char *list, const char *item) {
    size_t len = strlen(item);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && !strncasecmp(p, item, n)) return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* The model line of a repo: the name part before the size ("PubMed" of
 * "OpenMed/OpenMed-NER-ProteinDetect-PubMed-v2-109M"), skipping a "vN" part. */
static int model_line(const char *repo, char *out, size_t size) {
    const char *name = strchr(repo, '/');
    name = name ? name + 1 : repo;
    char prev[2][64] = {"", ""};
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "-");
        char part[64];
        if (n >= sizeof part) return 0;
        memcpy(part, p, n);
        part[n] = '\0';
        size_t d = 0;
        while (d < n && ((part[d] >= '0' && part[d] <= '9') || part[d] == '.')) d++;
        if (d > 0 && d + 1 == n && (part[d] == 'M' || part[d] == 'B')) {
            const char *line = prev[0][0] == 'v' && prev[0][1] >= '0' && prev[0][1] <= '9' ? prev[1] : prev[0];
            if (!line[0]) return 0;
            snprintf(out, size, "%s", line);
            return 1;
        }
        memcpy(prev[1], prev[0], sizeof prev[0]);
        memcpy(prev[0], part, n + 1);
        p += n + (p[n] == '-');
    }
    return 0;
}

/* The architecture all rows of the same model line agree on, or "" (none, or they disagree). */
static const char *line_architecture(const openmed_model_info *info) {
    char line[64], other[64];
    if (!model_line(info->repo_id, line, sizeof line)) return "";
    const char *found = "";
    for (size_t i = 0; i < om_registry_count(); i++) {
        const openmed_model_info *m = om_registry_at(i);
        if (!m->architecture[0] || !model_line(m->repo_id, other, sizeof other) || strcmp(line, other) != 0) continue;
        if (!found[0]) found = m->architecture;
        else if (strcmp(found, m->architecture) != 0) return "";
    }
    return found;
}

/* config.json model_type for a manifest architecture label. */
static const char *model_type_of(const char *label) {
    if (strstr(label, "longformer")) return "longformer";
    if (!strncmp(label, "privacy-filter", 14)) return "openai_privacy_filter";
    return label;
}

int openmed_registry_runnable(const openmed_model_info *info, char *reason, size_t size) {
    char local[256];
    if (!reason || !size) {
        reason = local;
        size = sizeof local;
    }
    reason[0] = '\0';
    if (strcmp(info->task, "token-classification") != 0) {
        snprintf(reason, size, "task %s, not token classification", info->task[0] ? info->task : "unknown");
        return 0;
    }
    if (!has_item(info->formats, "pytorch")) {
        snprintf(reason, size, "published as %s only; this engine loads PyTorch/safetensors weights",
                 has_item(info->formats, "onnx") ? "ONNX" : info->formats);
        return 0;
    }
    const char *arch = info->architecture[0] ? info->architecture : line_architecture(info);
    if (!arch[0]) {
        snprintf(reason, size, "the manifest names no architecture for it");
        return 0;
    }
    if (!strcmp(arch, "gliner") || !strcasecmp(info->family, "ZeroShot")) { /* -mlx rows say deberta-v2 */
        snprintf(reason, size, "GLiNER is a zero-shot span model, not a token classifier");
        return 0;
    }
    if (!om_arch_find(model_type_of(arch))) {
        snprintf(reason, size, "architecture %s is not implemented in this engine", arch);
        return 0;
    }
    return 1;
}
