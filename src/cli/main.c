/* main.c - the ntksweep executable: parses the subcommand and hands over to the cli module. */
#include "ntksweep/cli.h"

int main(int argc, char **argv)
{
    return ntk_cli_main(argc, argv);
}
