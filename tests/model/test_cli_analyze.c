/* test_cli_analyze.c: the real `openmed analyze` and `openmed bench` binaries on a golden model:
 * --raw equals the Hugging Face golden, every format and input kind, and clear failures. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "core/file.h"

#define MODEL OM_FIXTURES "/hf/models/bert-uncased"

/* Compare HF raw dicts with the golden list. */
static void same_as_golden(const cJSON *got, const cJSON *gold) {
    CHECK_INT(cJSON_GetArraySize(got), cJSON_GetArraySize(gold));
    for (int i = 0; i < cJSON_GetArraySize(gold) && i < cJSON_GetArraySize(got); i++) {
        const cJSON *a = cJSON_GetArrayItem(got, i), *b = cJSON_GetArrayItem(gold, i);
        const char *keys[] = {"entity_group", "word"};
        for (int k = 0; k < 2; k++)
            CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(a, keys[k])),
                      cJSON_GetStringValue(cJSON_GetObjectItem(b, keys[k])));
        CHECK_INT(cJSON_GetObjectItem(a, "start")->valueint, cJSON_GetObjectItem(b, "start")->valueint);
        CHECK_INT(cJSON_GetObjectItem(a, "end")->valueint, cJSON_GetObjectItem(b, "end")->valueint);
        CHECK_NEAR(cJSON_GetObjectItem(a, "score")->valuedouble, cJSON_GetObjectItem(b, "score")->valuedouble, 1e-4);
    }
}

int main(void) {
    openmed_error err = {0};
    char *json = NULL;
    size_t size = 0;
    CHECK(om_read_file(MODEL "/golden.json", 0, &json, &size, &err) == OPENMED_OK);
    cJSON *golden = cJSON_Parse(json);
    free(json);
    const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(golden, "texts"), 0);
    const char *text0 = cJSON_GetStringValue(cJSON_GetObjectItem(t0, "text"));
    const cJSON *pipes = cJSON_GetObjectItem(t0, "pipelines");

    char args[2048];
    snprintf(args, sizeof args, "analyze --model %s --raw --aggregation-strategy first \"%s\"", MODEL, text0);
    CHECK_INT(run(args), 0);
    cJSON *got = cJSON_Parse(out_buf);
    CHECK_MSG(cJSON_IsArray(got), "not a JSON list: %s", out_buf);
    if (got) same_as_golden(got, cJSON_GetObjectItem(pipes, "first"));
    cJSON_Delete(got);

    /* Inputs and formats. */
    char dir[] = "/tmp/om_cli_analyze_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char txt[256], jsonl[256], out[256];
    snprintf(txt, sizeof txt, "%s/in.txt", dir);
    snprintf(jsonl, sizeof jsonl, "%s/in.jsonl", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    char line[1024];
    snprintf(line, sizeof line, "%s\nAspirin for pain.\n", text0);
    write_file(txt, line);
    snprintf(line, sizeof line, "{\"text\": \"%s\"}\n{\"text\": \"Aspirin for pain.\"}\n", text0);
    write_file(jsonl, line);

    snprintf(args, sizeof args, "analyze --model %s --raw --input %s", MODEL, txt);
    CHECK_INT(run(args), 0);
    char *second = strchr(out_buf, '\n');
    CHECK(second && strchr(second + 1, '\n') && !strchr(strchr(second + 1, '\n') + 1, '\n')); /* two lines */
    got = cJSON_Parse(out_buf);
    if (got) same_as_golden(got, cJSON_GetObjectItem(pipes, "simple"));
    cJSON_Delete(got);

    snprintf(args, sizeof args, "analyze --model %s --input %s --format jsonl --output %s", MODEL, jsonl, out);
    CHECK_INT(run(args), 0);
    char *o = NULL;
    CHECK(om_read_file(out, 0, &o, &size, &err) == OPENMED_OK);
    if (o) {
        got = cJSON_Parse(o);
        CHECK(got && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(got, "text")), text0) == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(got, "entities")) ==
              cJSON_GetArraySize(cJSON_GetObjectItem(pipes, "simple")));
        cJSON_Delete(got);
        free(o);
    }
    snprintf(args, sizeof args, "analyze --model %s --input %s", MODEL, jsonl);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf); /* several texts: a JSON array of results */
    CHECK(cJSON_IsArray(got) && cJSON_GetArraySize(got) == 2);
    cJSON_Delete(got);
    snprintf(args, sizeof args, "analyze --model %s --format csv --threshold 0.9 \"Aspirin, for pain.\"", MODEL);
    CHECK_INT(run(args), 0);
    CHECK(strncmp(out_buf, "text_index,text,label,confidence,start,end,model_name,processing_time\r\n", 70) == 0);
    snprintf(args, sizeof args, "analyze --model %s --format html \"<b>Aspirin</b> & pain\"", MODEL);
    CHECK_INT(run(args), 0);
    CHECK(strstr(out_buf, "<div class=\"openmed-result\">") && strstr(out_buf, "&lt;") && strstr(out_buf, "&amp;"));

    /* A text longer than model_max_length: the OpenMed-shaped output reads all of it by default,
     * --hf-windows (and --raw) only the first window, exactly as HF. */
    const cJSON *long_text = NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(golden, "texts"))
        if (!long_text && cJSON_GetArraySize(cJSON_GetObjectItem(item, "input_ids")) > 3 * 128) long_text = item;
    CHECK(long_text != NULL);
    if (long_text) {
        char long_path[] = "/tmp/om_cli_long_XXXXXX.jsonl";
        int fd = mkstemps(long_path, 6);
        cJSON *line = cJSON_CreateObject();
        cJSON_AddStringToObject(line, "text", cJSON_GetStringValue(cJSON_GetObjectItem(long_text, "text")));
        char *line_text = cJSON_PrintUnformatted(line);
        FILE *lf = fdopen(fd, "w");
        fprintf(lf, "%s\n", line_text);
        fclose(lf);
        free(line_text);
        cJSON_Delete(line);
        double last_end[2] = {0, 0};
        int count[2] = {0, 0};
        for (int mode = 0; mode < 2; mode++) {
            snprintf(args, sizeof args, "analyze --model %s %s --input %s", MODEL, mode ? "--hf-windows" : "", long_path);
            CHECK_INT(run(args), 0);
            cJSON *res = cJSON_Parse(out_buf);
            cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItem(res, "entities")) {
                double end = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "end"));
                if (end > last_end[mode]) last_end[mode] = end;
                count[mode]++;
            }
            cJSON_Delete(res);
        }
        const cJSON *hf = cJSON_GetObjectItem(cJSON_GetObjectItem(long_text, "pipelines"), "simple");
        CHECK_INT(count[1], cJSON_GetArraySize(hf));
        CHECK_MSG(last_end[0] > last_end[1] && count[0] > count[1],
                  "whole text: %d entities up to %g; HF windows: %d up to %g", count[0], last_end[0], count[1],
                  last_end[1]);
        unlink(long_path);
    }

    /* Failures: clear and non-zero. */
    snprintf(args, sizeof args, "analyze --model %s --stride 32 --aggregation-strategy none x", MODEL);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "stride") != NULL);
    CHECK(run("analyze --model /nonexistent/model x") != 0);
    CHECK(strstr(out_buf, "/nonexistent/model") != NULL);
    snprintf(args, sizeof args, "analyze --model %s", MODEL);
    CHECK_INT(run(args), 2);
    snprintf(args, sizeof args, "analyze --model %s --format xml x", MODEL);
    CHECK_INT(run(args), 2);
    snprintf(args, sizeof args, "analyze --model %s --input %s/missing.txt", MODEL, dir);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "missing.txt") != NULL);
    snprintf(args, sizeof args, "analyze --model %s --device cuda:7 x", MODEL);
    CHECK(run(args) != 0);
    CHECK(strstr(out_buf, "cuda") != NULL);

    /* bench --json */
    snprintf(args, sizeof args, "bench --model %s --input %s --json --batch-size 2 --threads 1", MODEL, txt);
    CHECK_INT(run(args), 0);
    got = cJSON_Parse(out_buf);
    CHECK(got != NULL);
    CHECK_INT(cJSON_GetObjectItem(got, "texts") ? cJSON_GetObjectItem(got, "texts")->valueint : -1, 2);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "tokens_per_second")) > 0);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(got, "peak_rss_mb")) > 0);
    cJSON_Delete(got);
    snprintf(args, sizeof args, "bench --model %s", MODEL);
    CHECK_INT(run(args), 2);

    unlink(txt);
    unlink(jsonl);
    unlink(out);
    rmdir(dir);
    cJSON_Delete(golden);
    return check_finish("test_cli_analyze");
}
