/* test_input_files.c: inputs that are not regular files (a FIFO with no writer, a character
 * device, a folder) are refused at once with the path and its kind named, by the library's file
 * reader and by the CLI's --input of analyze, pii and tokenize; a pipe on standard input still
 * works. Run under alarm(): before the check these calls hung forever. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "core/file.h"

int main(void) {
    alarm(120); /* a hang is a failure, not a stuck test run */
    char dir[] = "/tmp/om_input_files_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char fifo[128], fifo_txt[128], regular[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(fifo_txt, sizeof fifo_txt, "%s/notes.txt", dir);
    snprintf(regular, sizeof regular, "%s/one.txt", dir);
    CHECK_INT(mkfifo(fifo, 0600), 0);
    CHECK_INT(mkfifo(fifo_txt, 0600), 0);
    write_file(regular, "Patient has cystic fibrosis.\n");

    char *data = NULL;
    size_t size = 0;
    openmed_error err;
    CHECK_INT(om_read_file(fifo, 0, &data, &size, &err), OPENMED_ERR_IO);
    CHECK_MSG(strstr(err.message, fifo) && strstr(err.message, "FIFO"), "%s", err.message);
    CHECK_INT(om_read_file("/dev/zero", 0, &data, &size, &err), OPENMED_ERR_IO);
    CHECK_MSG(strstr(err.message, "/dev/zero") && strstr(err.message, "character device"), "%s", err.message);
    CHECK_INT(om_read_file(dir, 0, &data, &size, &err), OPENMED_ERR_IO);
    CHECK_MSG(strstr(err.message, "folder"), "%s", err.message);
    CHECK_INT(om_read_file(regular, 0, &data, &size, &err), OPENMED_OK);
    CHECK_INT(size, 29);
    free(data);
    FILE *f = NULL;
    CHECK_INT(om_open_regular(fifo, &f, &err), OPENMED_ERR_IO);
    CHECK(f == NULL);

    char args[1024];
    const char *model = OM_SOURCE_DIR "/models/pii";
    snprintf(args, sizeof args, "analyze --model %s --input %s", OM_SOURCE_DIR "/models/disease-ner", fifo_txt);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "FIFO"), "%s", out_buf);
    snprintf(args, sizeof args, "pii extract --model %s --input %s", model, fifo);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "FIFO"), "%s", out_buf);
    snprintf(args, sizeof args, "pii extract --model %s --input /dev/zero", model);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "character device"), "%s", out_buf);
    snprintf(args, sizeof args, "tokenize --model %s --input %s", model, fifo);
    CHECK_INT(run(args), 1);
    CHECK_MSG(strstr(out_buf, "FIFO"), "%s", out_buf);
    /* standard input is still read, pipe and all */
    snprintf(args, sizeof args, "tokenize --model %s - < %s", model, regular);
    CHECK_INT(run(args), 0);
    CHECK_MSG(strstr(out_buf, "\"ids\""), "%s", out_buf);

    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    if (system(args) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_finish("test_input_files");
}
