/* test_pipeline_output.c: the writers (HF raw JSON, OpenMed JSON, CSV, HTML) on a hand-made
 * result, and reading texts from .txt, .jsonl and .csv files, bad files included. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "text_inputs.h"
#include "writers.h"

static const char *text = "Tom \"T\" <b>, caf\xc3\xa9 & flu";

static openmed_result sample(openmed_aggregation agg) {
    static openmed_entity e[2];
    e[0] = (openmed_entity){"B-PER", "tom", 0.9912345f, 0, 3, agg == OPENMED_AGGREGATION_NONE ? 1 : -1};
    e[1] = (openmed_entity){"DISEASE", "caf\xc3\xa9 & flu", 0.5f, 13, 23, -1};
    return (openmed_result){e, 2, agg, 12, 1};
}

static void write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    fputs(data, f);
    fclose(f);
}

int main(void) {
    om_result_info info = {"models/demo", "2026-01-01T00:00:00.000000", 0.25, -1};
    openmed_error err = {0};

    /* HF raw: one line, entity/index for none, entity_group otherwise, float32 repr scores. */
    om_strbuf s;
    om_strbuf_init(&s);
    openmed_result r = sample(OPENMED_AGGREGATION_NONE);
    om_write_raw(&s, &r);
    CHECK_STR(s.data, "[{\"entity\": \"B-PER\", \"score\": 0.9912345, \"index\": 1, \"word\": \"tom\", \"start\": 0, "
                      "\"end\": 3}, {\"entity\": \"DISEASE\", \"score\": 0.5, \"index\": -1, \"word\": \"caf\xc3\xa9 & "
                      "flu\", \"start\": 13, \"end\": 23}]\n");
    om_strbuf_free(&s);
    r = sample(OPENMED_AGGREGATION_SIMPLE);
    om_write_raw(&s, &r);
    CHECK(strncmp(s.data, "[{\"entity_group\": \"B-PER\"", 25) == 0);
    CHECK(strstr(s.data, "index") == NULL);
    om_strbuf_free(&s);

    /* OpenMed JSON: entity text is the slice, labels lose B-/I-, it parses. */
    CHECK(om_write_analyze_json(&s, text, &r, &info, 2, &err) == OPENMED_OK);
    cJSON *j = cJSON_Parse(s.data);
    CHECK(j != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "text")), text);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_name")), "models/demo");
    const cJSON *ents = cJSON_GetObjectItem(j, "entities");
    CHECK_INT(cJSON_GetArraySize(ents), 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 0), "label")), "PER");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 0), "text")), "Tom");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 1), "text")), "caf\xc3\xa9 & flu");
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 0), "confidence")->valuedouble, 0.9912345, 1e-7);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(ents, 1), "start")->valueint, 13);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(j, "metadata")));
    CHECK_NEAR(cJSON_GetObjectItem(j, "processing_time")->valuedouble, 0.25, 1e-9);
    cJSON_Delete(j);
    om_strbuf_free(&s);
    CHECK(om_write_analyze_json(&s, text, &r, &info, 0, &err) == OPENMED_OK);
    CHECK(strchr(s.data, '\n') == s.data + s.len - 1); /* one line */
    om_strbuf_free(&s);
    CHECK(om_write_analyze_json(&s, "bad \xff", &r, &info, 0, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    om_strbuf_free(&s);

    /* CSV quoting. */
    om_write_csv_header(&s);
    CHECK(om_write_csv_rows(&s, 7, text, &r, &info, &err) == OPENMED_OK);
    CHECK(strstr(s.data, "\r\n7,Tom,PER,0.9912345,0,3,models/demo,0.250000\r\n") != NULL);
    CHECK(strstr(s.data, "\r\n7,caf\xc3\xa9 & flu,DISEASE,0.5,13,23,") != NULL);
    om_strbuf_free(&s);
    openmed_entity quoted = {"X", "w", 1.0f, 4, 12, -1};
    openmed_result rq = {&quoted, 1, OPENMED_AGGREGATION_SIMPLE, 0, 1};
    CHECK(om_write_csv_rows(&s, 0, text, &rq, &info, &err) == OPENMED_OK);
    CHECK(strncmp(s.data, "0,\"\"\"T\"\" <b>,\",X,", 17) == 0);
    om_strbuf_free(&s);

    /* HTML: escaped text, highlighted spans. */
    om_write_html_begin(&s);
    CHECK(om_write_html_result(&s, text, &r, &info, &err) == OPENMED_OK);
    om_write_html_end(&s);
    CHECK(strstr(s.data, "&quot;T&quot; &lt;b&gt;, ") != NULL);
    CHECK(strstr(s.data, "<span class=\"entity entity-PER\"") != NULL);
    CHECK(strstr(s.data, "caf\xc3\xa9 &amp; flu<span class=\"entity-label\">DISEASE</span></span>") != NULL);
    CHECK(strstr(s.data, "<b>") == NULL || strstr(s.data, "<b>PER</b>") != NULL);
    om_strbuf_free(&s);

    /* Inputs. */
    char dir[] = "/tmp/om_pipeline_inputs_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    om_text_list list;
    snprintf(path, sizeof path, "%s/a.txt", dir);
    write_file(path, "first\r\n\nthird line\n");
    CHECK(om_read_texts(path, NULL, &list, &err) == OPENMED_OK);
    CHECK_INT(list.n, 3);
    if (list.n == 3) {
        CHECK_STR(list.texts[0], "first");
        CHECK_STR(list.texts[1], "");
        CHECK_STR(list.texts[2], "third line");
    }
    om_text_list_free(&list);
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    write_file(path, "{\"text\": \"one\\nline\"}\n\n{\"id\": 2, \"text\": \"two\"}\n");
    CHECK(om_read_texts(path, NULL, &list, &err) == OPENMED_OK);
    CHECK_INT(list.n, 2);
    if (list.n == 2) CHECK_STR(list.texts[0], "one\nline");
    om_text_list_free(&list);
    write_file(path, "{\"text\": \"one\"}\n{\"txt\": 1}\n");
    CHECK(om_read_texts(path, NULL, &list, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "a.jsonl:2") != NULL);
    write_file(path, "{\"text\": \"one\"\n");
    CHECK(om_read_texts(path, NULL, &list, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "a.jsonl:1") != NULL);
    snprintf(path, sizeof path, "%s/a.csv", dir);
    write_file(path, "id,note\r\n1,\"multi\nline, \"\"quoted\"\"\"\r\n2,plain\n");
    CHECK(om_read_texts(path, "note", &list, &err) == OPENMED_OK);
    CHECK_INT(list.n, 2);
    if (list.n == 2) {
        CHECK_STR(list.texts[0], "multi\nline, \"quoted\"");
        CHECK_STR(list.texts[1], "plain");
    }
    om_text_list_free(&list);
    CHECK(om_read_texts(path, "text", &list, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "no column \"text\"") != NULL);
    write_file(path, "id,note\n1,\"never closed\n");
    CHECK(om_read_texts(path, "note", &list, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "unterminated") != NULL);
    write_file(path, "id,note\n1,2,3\n");
    CHECK(om_read_texts(path, "note", &list, &err) == OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "a.csv:2") != NULL);
    snprintf(path, sizeof path, "%s/a.pdf", dir);
    CHECK(om_read_texts(path, NULL, &list, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    CHECK(om_read_texts(path, NULL, &list, &err) != OPENMED_OK);
    const char *names[] = {"a.txt", "a.jsonl", "a.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return check_finish("test_pipeline_output");
}
