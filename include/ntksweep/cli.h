/* cli.h - command-line front end (subcommands point, run, validate, info). */
#ifndef NTKSWEEP_CLI_H
#define NTKSWEEP_CLI_H

/* Runs the ntksweep command line; returns the process exit status (NTK_EXIT_* in error.h). */
int ntk_cli_main(int argc, char **argv);

/* `ntksweep validate [-q] SPEC`: argv[0] is "validate". Returns 0 (valid) or 2 (invalid). */
int ntk_cli_validate(int argc, char **argv);
/* `ntksweep run SPEC [--resume] [--force] [--deadline S] ...`: runs a sweep; returns NTK_EXIT_*. */
int ntk_cli_run(int argc, char **argv);
/* `ntksweep info ARCHIVE`: argv[0] is "info". Prints the archive summary; returns NTK_EXIT_*. */
int ntk_cli_info(int argc, char **argv);
/* `ntksweep point [options]`: argv[0] is "point". Prints the per-layer theory of one model as TSV;
 * returns NTK_EXIT_* (2 for a bad option, with a message naming it). */
int ntk_cli_point(int argc, char **argv);

#endif
