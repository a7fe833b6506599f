/* analyze.c: the smallest program on libopenmed: load the bundled disease model, analyze a text,
 * print the entities it finds. Build it against an installed OpenMed-C:
 *     cc analyze.c $(pkg-config --cflags --libs openmed) -o analyze
 * or with CMake (examples/CMakeLists.txt): find_package(OpenMed) and link OpenMed::openmed. */
#include <stdio.h>

#include <openmed.h>

int main(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1]
                                : "The patient has a history of type 2 diabetes and chronic kidney disease; "
                                  "metformin was stopped after lactic acidosis.";
    openmed_error err;
    openmed_model *model = NULL;
    openmed_pipeline *pipeline = NULL;
    openmed_analysis *analysis = NULL;
    int rc = 1;

    /* The bundled models ship in <prefix>/share/openmed/models; ask for one by name. */
    char path[OPENMED_PATH_MAX];
    if (openmed_bundled_model_path("disease", path, sizeof path, &err) != OPENMED_OK) goto fail;
    if (openmed_model_load(path, NULL, &model, &err) != OPENMED_OK) goto fail;
    printf("model: %s (%s, %s)\n", openmed_model_path(model), openmed_model_type(model), openmed_model_device(model));

    /* A model is shared by threads; a pipeline belongs to one thread at a time. */
    if (openmed_pipeline_create(model, NULL, &pipeline, &err) != OPENMED_OK) goto fail;
    if (openmed_analyze(pipeline, &text, 1, NULL, &analysis, &err) != OPENMED_OK) goto fail;

    printf("%zu entities\n", analysis[0].n_entities);
    for (size_t i = 0; i < analysis[0].n_entities; i++) {
        const openmed_text_entity *e = &analysis[0].entities[i];
        printf("%-10s %5.3f [%lld, %lld) %s\n", e->label, e->confidence, (long long)e->start, (long long)e->end, e->text);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "analyze: %s (%s)\n", err.message, openmed_status_name(err.status));
done:
    openmed_analyses_free(analysis, analysis ? 1 : 0);
    openmed_pipeline_free(pipeline);
    openmed_model_free(model);
    return rc;
}
